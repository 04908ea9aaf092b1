"""The `carepulse` command line: one entry point for analysts, the DAG's tasks and the demo."""

from __future__ import annotations

import logging
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carepulse import paths
from carepulse.config import ConfigError, LoadedConfig, load_config
from carepulse.secrets import install_log_masking

app = typer.Typer(help="CarePulse: auditable social listening for healthcare organisations.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
config_app = typer.Typer(help="Check the monitoring config.", no_args_is_help=True)
app.add_typer(config_app, name="config")
console = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="config file (default "
                                                "$CAREPULSE_CONFIG or config/monitoring.yml)")]
DEMO_CREDENTIALS = {  # only ever used against the loopback simulator
    "youtube": "demo-youtube-api-key", "reddit": "demo-client:demo-secret",
    "mastodon": "demo-mastodon-token", "bluesky": "demo.bsky.social:demo-app-password",
    "x": "demo-x-bearer-token",
}
DEMO_PSEUDONYM_KEY = "demo-only-pseudonym-key-not-for-real-data"


def _setup_logging(verbose: bool) -> None:
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


def _parse_dates(day: str | None, start: str | None, end: str | None) -> list[date]:
    try:
        if start or end:
            first = date.fromisoformat(start or end)
            last = date.fromisoformat(end or start)
            if last < first:
                raise typer.BadParameter(f"--end {last} is before --start {first}")
            return [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return [date.fromisoformat(day) if day else date.today() - timedelta(days=1)]
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {exc}") from None


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
    day: Annotated[str | None, typer.Option("--date", help="night to extract (default: yesterday)")] = None,
    start: Annotated[str | None, typer.Option(help="first night of a range")] = None,
    end: Annotated[str | None, typer.Option(help="last night of a range")] = None,
    platform: Annotated[list[str] | None, typer.Option(help="only this platform (repeatable)")] = None,
    fresh: Annotated[bool, typer.Option(help="start a new run even if one can be resumed")] = False,
    strict: Annotated[bool, typer.Option(help="exit 3 when a run ends partial")] = False,
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
    summaries = _run_extract(loaded, _parse_dates(day, start, end), platform, fresh)
    if strict and any(s.manifest["status"] != "complete" for s in summaries):
        raise typer.Exit(3)


@app.command()
def transform(
    day: Annotated[str | None, typer.Option("--date", help="night being processed (dbt var `night`)")] = None,
    select: Annotated[str | None, typer.Option(help="dbt selection, e.g. 'staging'")] = None,
    full_refresh: Annotated[bool, typer.Option(help="rebuild incremental models from scratch")] = False,
    config: ConfigOpt = None,
) -> None:
    """Build warehouse/candidate.duckdb with dbt, starting from a copy of the published file."""
    from transform.build import TransformFailed, build_candidate

    _setup_logging(False)
    loaded = _load(config)
    night = _parse_dates(day, None, None)[0] if day else None
    console.print(f"building candidate warehouse in {paths.warehouse_dir()}")
    try:
        result = build_candidate(loaded, night=night, select=select, full_refresh=full_refresh)
    except TransformFailed as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]ok[/green] {len(result.nodes)} dbt nodes in {result.seconds:.1f}s "
                  f"(invocation {result.invocation_id}) -> {result.candidate}")


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
    result = purge_expired(paths.raw_dir(), days, date.today(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} {result.files:,} raw file(s), {result.bytes / 1e6:.1f} MB, from "
                  f"{result.runs} run(s) older than {days} days")


@app.command()
def demo(
    nights: Annotated[int, typer.Option(help="how many nights to extract, ending yesterday")] = 2,
    volume: Annotated[int, typer.Option(help="simulated mentions per night")] = 1500,
    config: ConfigOpt = None,
) -> None:
    """Start the simulator in-process, extract the demo nights from it and build the warehouse."""
    from extract.simulator.server import SimulatorServer
    from transform.build import TransformFailed, build_candidate

    _setup_logging(False)
    loaded = _load(config)
    with SimulatorServer(loaded.config, mentions_per_night=volume, port=0) as sim:
        os.environ["CAREPULSE_SIMULATOR_URL"] = sim.url
        loaded = _load(config)  # endpoints now point at this simulator
        _fill_demo_credentials(loaded)
        console.print(f"simulator on {sim.url}; CAREPULSE_HOME={paths.home()}")
        last = date.today() - timedelta(days=1)
        _run_extract(loaded, [last - timedelta(days=i) for i in reversed(range(nights))], None,
                     False)
    console.print(f"building the candidate warehouse in {paths.warehouse_dir()} (dbt build)")
    try:
        result = build_candidate(loaded)
    except TransformFailed as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]ok[/green] {len(result.nodes)} dbt nodes in {result.seconds:.1f}s")
    _print_mart_counts(result.candidate)


def _print_mart_counts(db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' order by 1").fetchall()]
        table = Table("mart", "rows", title=f"marts in {db.name}")
        for name in names:
            (n,) = con.execute(f'select count(*) from marts."{name}"').fetchone()
            table.add_row(name, f"{n:,}")
    finally:
        con.close()
    console.print(table)


def _fill_demo_credentials(loaded: LoadedConfig) -> None:
    """Give loopback-only platforms a demo credential, and the demo a pseudonym key, when unset."""
    for name, pcfg in loaded.config.platforms.enabled().items():
        if urlparse(pcfg.endpoint).hostname in ("127.0.0.1", "localhost", "::1"):
            os.environ.setdefault(pcfg.credential_env, DEMO_CREDENTIALS[name])
    key_env = loaded.config.privacy.pseudonym_key_env
    if not os.environ.get(key_env):
        console.print(f"[yellow]{key_env} is not set: using a demo-only pseudonym key[/yellow]")
        os.environ[key_env] = DEMO_PSEUDONYM_KEY


if __name__ == "__main__":  # pragma: no cover
    app()
