"""The `carepulse` command line: one entry point for analysts, the DAG's tasks and the demo."""

from __future__ import annotations

import logging
import os
import re
import sys
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carepulse import paths, space
from carepulse.cli_alerts import alerts_app
from carepulse.cli_audit import audit_app, lineage_app
from carepulse.config import ConfigError, LoadedConfig, load_config
from carepulse.demo import fill_demo_credentials, print_summary
from carepulse.secrets import install_log_masking

app = typer.Typer(help="CarePulse: auditable social listening for healthcare organisations.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
config_app = typer.Typer(help="Check the monitoring config.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(lineage_app, name="lineage")
app.add_typer(audit_app, name="audit")
app.add_typer(alerts_app, name="alerts")
console = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="config file (default "
                                                "$CAREPULSE_CONFIG or config/monitoring.yml)")]


EngineOpt = Annotated[str | None, typer.Option(
    "--engine", help="duckdb or spark: the engine that builds the warehouse (default: the config's "
                     "warehouse.engine)")]


def _use_engine(engine: str | None) -> None:
    """--engine overrides the config for this process (transform.build.engine reads it)."""
    if engine is None:
        return
    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"--engine {engine}: duckdb or spark")
    os.environ["CAREPULSE_ENGINE"] = engine


@contextmanager
def _writer(what: str, nights: list[date] | None = None):
    """Hold the home's writer lock for a command; exit 4 naming the holder when it is busy."""
    from carepulse.home_lock import HomeBusy, exclusive
    from carepulse.nightly import recover
    from carepulse.publish import PublishRecoveryFailed

    try:
        with exclusive(paths.home(), what, [n.isoformat() for n in nights or []]):
            recover(paths.home(), say=lambda m: console.print(f"[yellow]{m}[/yellow]", highlight=False))
            yield
    except HomeBusy as exc:
        console.print(f"[red]not started[/red]: {exc}", highlight=False)
        raise typer.Exit(4) from None
    except PublishRecoveryFailed as exc:
        console.print(f"[red]not started[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from None
    except space.NotEnoughSpace as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(5) from None
    except OSError as exc:
        full = space.disk_full(exc)
        if full is None:
            raise
        console.print(f"[red]{space.disk_full_message(what, full)}[/red]", highlight=False)
        raise typer.Exit(5) from None


def _setup_logging(verbose: bool) -> None:
    # A log line that cannot be written (a full disk) is dropped, not printed as a traceback:
    # one clear line says what failed instead of thousands of logging errors.
    logging.raiseExceptions = False
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()


def _load(config: Path | None) -> LoadedConfig:
    try:
        return load_config(config)
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None


@config_app.command("check")
def config_check(config: ConfigOpt = None) -> None:
    """Validate the config and print every problem at once."""
    loaded = _load(config)
    cfg = loaded.config
    console.print(
        f"[green]ok[/green] {loaded.path} (sha256 {loaded.short_hash}): organisation "
        f"{cfg.organisation.name}, panel {cfg.panel.version} with "
        f"{len(cfg.panel.competitors)} competitors, {len(cfg.topics)} topics, "
        f"{len(cfg.campaigns)} campaigns, platforms {', '.join(cfg.platforms.enabled())}")
    _warn_missing_credentials(loaded)


def _warn_missing_credentials(loaded: LoadedConfig) -> None:
    """Name every enabled platform whose credential variable is not set here, up front."""
    from carepulse.config import missing_credentials

    for platform, variable in missing_credentials(loaded).items():
        console.print(f"[yellow]{platform}: {variable} is not set in this environment[/yellow]: the "
                      f"platform is skipped (a partial night) until it is", highlight=False)


@app.command()
def simulate(
    config: ConfigOpt = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 7,
    volume: Annotated[int, typer.Option(help="public mentions per night, all platforms")] = 1500,
    fault: Annotated[str | None, typer.Option(help="fault spec, e.g. 'x:rate_limit:times=2'")] = None,
) -> None:
    """Serve the loopback platform simulator until interrupted."""
    from extract.simulator.server import serve

    _setup_logging(False)
    loaded = _load(config)
    console.print(f"simulator on http://{host}:{port} (seed {seed}, {volume} mentions/night)")
    serve(loaded.config, host, port, seed, volume, fault)


MAX_NIGHTS = 31  # a longer range must be confirmed with --yes: each night is an extraction run
YesOpt = Annotated[bool, typer.Option("--yes", help=f"run a range of more than {MAX_NIGHTS} nights")]


NIGHT_FORMS = "YYYY-MM-DD, yesterday or today-N (default: yesterday)"


def night_of(text: str) -> date:
    """A night as the CLI takes it: YYYY-MM-DD, `yesterday`, or `today-N` (N days before today,
    UTC), so that scripts and examples need not name a calendar date."""
    today = datetime.now(UTC).date()
    if text == "yesterday":
        return today - timedelta(days=1)
    if match := re.fullmatch(r"today-(\d{1,4})", text):
        return today - timedelta(days=int(match.group(1)))
    return date.fromisoformat(text)


def _parse_dates(day: str | None, start: str | None, end: str | None, yes: bool = True) -> list[date]:
    """The nights asked for; refused (exit 2) when malformed, reversed, not over yet, or a range
    longer than MAX_NIGHTS without `yes`."""
    from extract.base import Night, NightNotOver

    try:
        if start or end:
            first = night_of(start or end)
            last = night_of(end or start)
            if last < first:
                raise typer.BadParameter(f"--end {last} is before --start {first}")
            nights = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        else:
            nights = [night_of(day or "yesterday")]
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD, yesterday or today-N: {exc}") from None
    try:
        Night(nights[-1]).require_ended()
    except NightNotOver as exc:
        raise typer.BadParameter(str(exc)) from None
    if len(nights) > MAX_NIGHTS and not yes:
        raise typer.BadParameter(f"{nights[0]}..{nights[-1]} is {len(nights)} nights: that many extraction "
                                 f"runs against the platforms' quotas; pass --yes to run them all, or a "
                                 f"range of at most {MAX_NIGHTS} nights")
    return nights


class _ExtractProgress:
    """Rich progress: one bar per platform counting shards, with pages and items so far."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, Any] = {}
        self.counts: dict[str, list[int]] = {}

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "plan":
            for platform, n in data["shards"].items():
                self.counts[platform] = [0, 0]
                self.tasks[platform] = self.progress.add_task(platform, total=n, info="")
        elif event == "page":
            c = self.counts[data["platform"]]
            c[0] += 1
            c[1] += data["records"]
            self.progress.update(self.tasks[data["platform"]],
                                 info=f"{c[0]:,} pages, {c[1]:,} items")
        elif event == "shard":
            self.progress.advance(self.tasks[data["platform"]])


def _run_extract(loaded: LoadedConfig, nights: list[date], platforms: list[str] | None,
                 fresh: bool) -> list:
    from extract.runner import extract_night

    summaries = []
    raw = paths.raw_dir()
    for night in nights:
        console.print(f"[bold]extracting night {night}[/bold] into {raw}")
        columns = [TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("shards {task.fields[info]}"), TimeElapsedColumn()]
        with Progress(*columns, console=console, transient=False) as progress:
            summary = extract_night(loaded, night, raw, platforms, fresh=fresh,
                                    progress=_ExtractProgress(progress))
        _print_summary(summary)
        summaries.append(summary)
    return summaries


def _print_summary(summary) -> None:
    m = summary.manifest
    table = Table(title=f"run {summary.run_id}: {m['status']}")
    for col in ("platform", "shards", "complete", "pages", "items", "malformed", "requests",
                "retries"):
        table.add_column(col, justify="right" if col != "platform" else "left")
    for platform in m["platforms"]:
        shards = [s for s in m["shards"].values() if s["platform"] == platform]
        stats = m["requests"].get(platform, {})
        table.add_row(
            platform, str(len(shards)), str(sum(s["status"] == "complete" for s in shards)),
            f"{sum(s['pages'] for s in shards):,}", f"{sum(s['records'] for s in shards):,}",
            str(sum(s["malformed_pages"] for s in shards)), f"{int(stats.get('requests', 0)):,}",
            str(int(stats.get("retries", 0))))
    console.print(table)
    for shard, reason in m["partial_reasons"].items():
        console.print(f"  [yellow]partial[/yellow] {shard}: {reason}", highlight=False)
    console.print(f"manifest: {summary.manifest_path}")


@app.command()
def extract(
    day: Annotated[str | None, typer.Option("--date", help=f"night to extract: {NIGHT_FORMS}")] = None,
    start: Annotated[str | None, typer.Option(help="first night of a range")] = None,
    end: Annotated[str | None, typer.Option(help="last night of a range")] = None,
    platform: Annotated[list[str] | None, typer.Option(help="only this platform (repeatable)")] = None,
    fresh: Annotated[bool, typer.Option(help="start a new run even if one can be resumed")] = False,
    strict: Annotated[bool, typer.Option(help="exit 3 when a run ends partial")] = False,
    yes: YesOpt = False,
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Extract platform data for one night (or a range) into the raw zone."""
    _setup_logging(verbose)
    loaded = _load(config)
    enabled = list(loaded.config.platforms.enabled())
    unknown = [p for p in platform or [] if p not in enabled]
    if unknown:
        raise typer.BadParameter(f"not enabled in {loaded.path}: {unknown} (enabled: {enabled})")
    _warn_missing_credentials(loaded)
    nights = _parse_dates(day, start, end, yes)
    with _writer("carepulse extract", nights):
        space.check_extract(paths.home(), len(nights))
        summaries = _run_extract(loaded, nights, platform, fresh)
    if strict and any(s.manifest["status"] != "complete" for s in summaries):
        raise typer.Exit(3)


@app.command()
def transform(
    day: Annotated[str | None, typer.Option("--date", help="night being processed (dbt var `night`)")] = None,
    select: Annotated[str | None, typer.Option(help="dbt selection, e.g. 'staging'")] = None,
    full_refresh: Annotated[bool, typer.Option(
        help="start from an empty warehouse: every landed night is parsed again (a new redaction "
             "rule, a parser fix); automatic when the config or the transform code changed")] = False,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Build warehouse/candidate.duckdb with dbt from a copy of the published file: only the
    extraction runs it has not loaded yet are read."""
    _use_engine(engine)
    from transform.build import TransformFailed, build_candidate

    _setup_logging(False)
    loaded = _load(config)
    night = _parse_dates(day, None, None)[0] if day else None
    console.print(f"building candidate warehouse in {paths.warehouse_dir()}")
    try:
        with _writer("carepulse transform", [night] if night else None):
            space.check_transform(paths.home())
            result = build_candidate(loaded, night=night, select=select, full_refresh=full_refresh)
    except TransformFailed as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]ok[/green] {len(result.nodes)} dbt nodes in {result.seconds:.1f}s "
                  f"(invocation {result.invocation_id}) -> {result.candidate}")


def _latest_gate_run(home: Path) -> str:
    gates = sorted(paths.audit_dir(home).glob("*/gate.json"), key=lambda p: p.stat().st_mtime)
    if not gates:
        raise typer.BadParameter(f"no quality-gate record under {paths.audit_dir(home)}; "
                                 "run `carepulse validate` first")
    return gates[-1].parent.name


@app.command()
def validate(
    day: Annotated[str | None, typer.Option("--date", help="night whose raw zone is checked")] = None,
    run_id: Annotated[str | None, typer.Option(help="evidence folder audit/<run_id> (default: new)")] = None,
    config: ConfigOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Run the quality gate: raw landing contracts for the night, then the candidate marts."""
    _use_engine(engine)
    from carepulse import nightly
    from expectations import ValidationFailed

    _setup_logging(False)
    loaded = _load(config)
    night = _parse_dates(day, None, None)[0]
    home = paths.home()
    run_id = run_id or nightly.new_run_id(f"validate-{night}")
    audit = nightly.audit_dir(home, run_id)
    try:
        with _writer("carepulse validate", [night]):
            space.check_gate_and_publish(home)
            raw_gate = nightly.validate_raw(loaded, home, [night], audit)
            nightly.validate_marts(loaded, home, audit, night, raw_gate)
    except ValidationFailed as exc:
        console.print(f"[red]quality gate failed[/red] (evidence in {audit}):\n{exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]quality gate passed[/green]; evidence in {audit}; "
                  f"publish with: carepulse publish --run-id {run_id}")


@app.command()
def publish(
    run_id: Annotated[str | None, typer.Option(help="gate record audit/<run_id> (default: latest)")] = None,
    engine: EngineOpt = None,
) -> None:
    """Replace the published warehouse with the validated candidate, atomically."""
    _use_engine(engine)
    from carepulse import nightly
    from carepulse.publish import PublishRefused

    _setup_logging(False)
    home = paths.home()
    run_id = run_id or _latest_gate_run(home)
    try:
        with _writer("carepulse publish"):
            space.check_gate_and_publish(home)
            result = nightly.publish(home, nightly.audit_dir(home, run_id))
    except PublishRefused as exc:
        console.print(f"[red]not published[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]published[/green] {result['published']} (sha256 {result['sha256'][:12]})")


@app.command()
def run(
    day: Annotated[str | None, typer.Option("--date", help=f"night to run: {NIGHT_FORMS}")] = None,
    start: Annotated[str | None, typer.Option(help="first night of a range")] = None,
    end: Annotated[str | None, typer.Option(help="last night of a range")] = None,
    yes: YesOpt = False,
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    engine: EngineOpt = None,
) -> None:
    """The whole night without a scheduler: extract, validate raw, transform, validate marts, publish."""
    _use_engine(engine)
    from carepulse import nightly
    from carepulse.publish import PublishRefused
    from expectations import ValidationFailed
    from transform.build import TransformFailed

    _setup_logging(verbose)
    loaded = _load(config)
    nights = _parse_dates(day, start, end, yes)
    _warn_missing_credentials(loaded)
    run_id = nightly.new_run_id(f"run-{nights[-1]}")
    try:
        with _writer("carepulse run", nights):
            summary = nightly.run_chain(loaded, paths.home(), nights, run_id,
                                        say=lambda m: console.print(m, highlight=False))
    except (ValidationFailed, TransformFailed, PublishRefused) as exc:
        console.print(f"[red]run {run_id} failed[/red]; published warehouse unchanged:\n{exc}",
                      highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]run {run_id} published[/green]; evidence in {summary['audit']}")


@app.command("dbt-manifest")
def dbt_manifest() -> None:
    """Write the dbt manifest the DAG renders per-model Cosmos tasks from (`dbt parse`)."""
    from transform.cosmos_group import write_manifest

    console.print(f"dbt manifest written to {write_manifest()}")


raw_app = typer.Typer(help="Manage the raw zone.", no_args_is_help=True)
app.add_typer(raw_app, name="raw")


@raw_app.command("purge")
def raw_purge(
    dry_run: Annotated[bool, typer.Option(help="only report what would be deleted")] = False,
    config: ConfigOpt = None,
) -> None:
    """Delete raw pages older than privacy.raw_text_retention_days, leaving tombstones."""
    from extract.retention import purge_expired

    _setup_logging(False)
    loaded = _load(config)
    days = loaded.config.privacy.raw_text_retention_days
    with _writer("carepulse raw purge"):
        result = purge_expired(paths.raw_dir(), days, date.today(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} {result.files:,} raw file(s), {result.bytes / 1e6:.1f} MB, from "
                  f"{result.runs} run(s) older than {days} days")


@app.command()
def demo(
    nights: Annotated[int, typer.Option(help="history backfilled by the first run, ending yesterday")] = 14,
    volume: Annotated[int, typer.Option(help="simulated mentions per night")] = 600,
    dbt_tasks: Annotated[str, typer.Option(help="'single' dbt build task, or 'cosmos': a task per "
                                                "model (needs `carepulse dbt-manifest`)")] = "single",
    config: ConfigOpt = None,
) -> None:
    """The nightly DAG in-process (Airflow dag.test, SQLite) against the simulator on 127.0.0.1."""
    from carepulse import airflow_local
    from extract.simulator.server import SimulatorServer

    os.environ["CAREPULSE_DBT_TASKS"] = dbt_tasks

    home = paths.home().resolve()
    airflow_home = airflow_local.configure(home)
    loaded = _load(config)
    night = date.today() - timedelta(days=1)
    with SimulatorServer(loaded.config, mentions_per_night=volume, port=0) as sim:
        os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
        fill_demo_credentials(_load(config), console)  # endpoints now point at this simulator
        console.print(f"simulator on {sim.url}; CAREPULSE_HOME={home}")
        console.print("preparing Airflow's metadata DB (SQLite, first run only)")
        airflow_local.migrate(airflow_home)
        console.print(f"running DAG {airflow_local.DAG_ID} for night {night} "
                      f"(backfilling {nights} nights when nothing is published yet)")
        dag_run = airflow_local.run_night(night, history_days=nights)
    print_summary(home, str(dag_run.state), dag_run.run_id, console)
    if str(dag_run.state) != "success":
        raise typer.Exit(1)


@app.command("demo-scheduler")
def demo_scheduler(
    nights: Annotated[int, typer.Option(help="history backfilled by the first run, ending yesterday")] = 14,
    volume: Annotated[int, typer.Option(help="simulated mentions per night")] = 600,
    executor: Annotated[str, typer.Option(help="'local' (docker-compose.yml) or 'celery' (with "
                                               "docker-compose.celery.yml: Redis + two workers)")] = "local",
    keep_running: Annotated[bool, typer.Option(
        help="keep the Airflow UI up after the run until Ctrl-C")] = True,
    config: ConfigOpt = None,
) -> None:
    """The nightly DAG under Airflow's real scheduler, as processes: private Postgres, api-server,
    scheduler, dag-processor (Celery: Redis and workers), the compose files' settings."""
    from carepulse.demo import scheduler_demo
    from deploy.services import ServiceError

    loaded = _load(config)
    try:
        state = scheduler_demo(loaded, date.today() - timedelta(days=1), nights, volume, executor,
                               keep_running, console)
    except ServiceError as exc:
        console.print(f"[red]scheduler stack failed[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from None
    if state != "success":
        raise typer.Exit(1)


@app.command("airflow-init")
def airflow_init(
    platform_slots: Annotated[int, typer.Option(envvar="CAREPULSE_PLATFORM_POOL_SLOTS", min=1,
                                                help="slots of each platform_<name> pool")] = 2,
    config: ConfigOpt = None,
) -> None:
    """What compose's airflow-init service runs: data folders, config check, metadata-DB migration,
    the UI admin (from _AIRFLOW_WWW_USER_*), the pools. Safe to run again."""
    from deploy.init import Admin
    from deploy.init import airflow_init as run_init

    try:
        run_init(paths.home(), Admin.from_env(), platform_slots, config=config,
                 say=lambda m: console.print(m, highlight=False))
    except ConfigError as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    except RuntimeError as exc:
        console.print(f"[red]airflow-init failed[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8501,
    address: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
) -> None:
    """The executive dashboard (Streamlit), read-only on the published warehouse."""
    from dashboard.launch import command

    argv = command(port=port, address=address)
    console.print(f"dashboard on http://{address}:{port}  (CAREPULSE_HOME={paths.home()})")
    os.execv(argv[0], argv)


if __name__ == "__main__":  # pragma: no cover
    app()
