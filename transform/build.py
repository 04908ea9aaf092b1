"""Build the candidate warehouse with dbt, starting from the last published state.

The candidate starts as a copy of the published file, so incremental models build on the
last audited state; the published file itself is never opened for writing here (the
quality gate and publish step replace it atomically once the candidate passes).

It starts empty instead (a full refresh: every landed night is parsed again) when asked to,
or when the published warehouse was built with another config or other transform code:
the incremental models only ever process new data, so a new redaction rule, brand term or
lexicon would otherwise reach the new nights alone. The fingerprint of what shapes the
warehouse (the config's bytes, the dbt project, the privacy and sentiment code and lexicons)
is stored in the candidate's `carepulse_build` table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from carepulse import paths
from carepulse.config import LoadedConfig
from extract.landing import atomic_write

log = logging.getLogger("transform.build")
ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt_project"


class TransformFailed(RuntimeError):
    """dbt reported errors or failing tests; the message names the nodes."""


@dataclass
class BuildResult:
    candidate: Path
    invocation_id: str
    seconds: float
    nodes: dict[str, str] = field(default_factory=dict)  # unique_id -> status
    timings: dict[str, float] = field(default_factory=dict)  # unique_id -> seconds


def candidate_path(home: Path | None = None) -> Path:
    return paths.warehouse_dir(home) / "candidate.duckdb"


def published_path(home: Path | None = None) -> Path:
    return paths.warehouse_dir(home) / "carepulse.duckdb"


def parse_path(home: Path | None = None) -> Path:
    """The build's scratch database (dbt_project/profiles.yml attaches it as `parse`): the batch's
    raw pages parsed once, verbatim text included, for the staging models to read. Its folder is
    owner-only (made by transform/duckdb_plugin.py when dbt connects)."""
    return paths.warehouse_dir(home) / "parse" / "scratch.duckdb"


def drop_parse_scratch(home: Path | None = None) -> None:
    """Delete the scratch database: it holds verbatim text, so it never outlives a build."""
    scratch = parse_path(home)
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)


def write_config_json(loaded: LoadedConfig, home: Path) -> Path:
    """The parsed config as JSON for dbt to read (brands, topics, campaigns, privacy knobs)."""
    target = paths.warehouse_dir(home) / "config.json"
    doc = {"sha256": loaded.sha256, "path": loaded.path,
           "config": loaded.config.model_dump(mode="json")}
    atomic_write(target, json.dumps(doc, indent=1, sort_keys=True).encode(), mode=0o600)
    return target


# What shapes the warehouse's content besides the raw zone (the config is added per build).
SHAPING = [DBT_DIR / "dbt_project.yml", DBT_DIR / "models", DBT_DIR / "macros", DBT_DIR / "seeds",
           ROOT / "transform" / "privacy.py", ROOT / "transform" / "sentiment.py",
           ROOT / "transform" / "language.py", ROOT / "transform" / "aspects.py",
           ROOT / "transform" / "screening.py", ROOT / "transform" / "sql_literal.py",
           ROOT / "transform" / "duckdb_plugin.py", ROOT / "transform" / "lexicons"]


# Inside the folders, docs and tests (.md, the models' .yml) do not change what is computed.
NOT_SHAPING = {".md", ".yml", ".yaml"}


def engine(loaded: LoadedConfig | None) -> str:
    """The engine that builds the warehouse: $CAREPULSE_ENGINE (the CLI's --engine), else the
    config's warehouse.engine."""
    chosen = os.environ.get("CAREPULSE_ENGINE") or (loaded.config.warehouse.engine if loaded else "duckdb")
    if chosen not in ("duckdb", "spark"):
        raise ValueError(f"CAREPULSE_ENGINE={chosen!r}: the engine is duckdb or spark")
    return chosen


def fingerprint(loaded: LoadedConfig) -> str:
    """sha256 over the engine, the config's bytes and the files that decide what a build computes
    (another engine's warehouse is never continued: the first build on it starts empty)."""
    digest = hashlib.sha256(f"config:{loaded.sha256}\nengine:{engine(loaded)}\n".encode())
    for root in SHAPING:
        files = sorted(f for f in root.rglob("*") if f.suffix not in NOT_SHAPING) if root.is_dir() else [root]
        for path in (f for f in files if f.is_file() and "__pycache__" not in f.parts):
            digest.update(f"{path.relative_to(ROOT)}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def published_fingerprint(home: Path) -> str | None:
    """The fingerprint the published warehouse was built with (None: none published, or built
    before fingerprints were kept)."""
    return stored_value(published_path(home), "select fingerprint from main.carepulse_build")


def stored_value(database: Path, query: str):
    """The first column of the first row `query` gives in `database`, opened read-only; None when
    the file, the table or the row is missing."""
    import duckdb

    if not database.exists():
        return None
    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute(query).fetchone()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return row[0] if row else None


def start_candidate(home: Path, loaded: LoadedConfig | None = None, *, full_refresh: bool = False) -> Path:
    """Copy the published warehouse to the candidate path, or start empty (full refresh, or
    a published warehouse built with another config or code), and forget the previous
    build's dbt artifacts so this run's evidence can only cite its own."""
    candidate, published = candidate_path(home), published_path(home)
    clear_build_artifacts(home)
    drop_parse_scratch(home)
    candidate.parent.mkdir(parents=True, exist_ok=True)
    for stale in (candidate, candidate.with_name(candidate.name + ".wal")):
        stale.unlink(missing_ok=True)
    current = fingerprint(loaded) if loaded is not None else None
    if published.exists() and not full_refresh and current is not None \
            and published_fingerprint(home) != current:
        log.warning("the config or the transform code changed since the published warehouse was "
                    "built: rebuilding every landed night from the raw zone (full refresh)")
        full_refresh = True
    if published.exists() and not full_refresh:
        tmp = candidate.with_name(".candidate.copy")
        shutil.copyfile(published, tmp)
        os.replace(tmp, candidate)
    if current is not None:
        _stamp(candidate, current)
    return candidate


def _stamp(candidate: Path, current: str) -> None:
    import duckdb

    con = duckdb.connect(str(candidate))
    try:
        con.execute("create or replace table main.carepulse_build as select ? as fingerprint", [current])
    finally:
        con.close()


def discard_candidate(home: Path) -> None:
    candidate = candidate_path(home)
    for leftover in (candidate, candidate.with_name(candidate.name + ".wal"),
                     candidate.with_name(".candidate.copy")):
        leftover.unlink(missing_ok=True)


def clear_build_artifacts(home: Path) -> None:
    """Remove the last build's manifest and run results, the Cosmos tasks' included."""
    target = target_dir(home)
    for name in ("manifest.json", "run_results.json"):
        (target / name).unlink(missing_ok=True)
    shutil.rmtree(cosmos_results_dir(home), ignore_errors=True)


def dbt_args(command: str, *, night: date | None, select: str | None, full_refresh: bool,
             raw_root: str | None = None) -> list[str]:
    args = [command, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    variables = {"night": night.isoformat()} if night is not None else {}
    if raw_root:
        variables["raw_root"] = raw_root
    if variables:
        args += ["--vars", json.dumps(variables)]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    return args


def run_dbt(args: list[str], home: Path) -> BuildResult:
    """Run dbt in-process (0.2-0.4 s per call, against 4-7 s for a CLI start-up)."""
    from dbt.cli.main import dbtRunner
    from dbt_common.invocation import get_invocation_id

    os.environ["CAREPULSE_HOME"] = str(home.resolve())
    started = time.perf_counter()
    kept_open = _database_kept_open() if "spark" not in args else contextlib.nullcontext()
    with kept_open:
        res = dbtRunner().invoke(args)
    seconds = time.perf_counter() - started
    results = getattr(res.result, "results", None) or []
    nodes = {r.node.unique_id: str(r.status) for r in results}
    timings = {r.node.unique_id: float(r.execution_time or 0) for r in results}
    bad = {k: v for k, v in nodes.items() if v in ("error", "fail", "runtime error")}
    if res.exception is not None or not res.success:
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(bad.items())) or str(res.exception)
        raise TransformFailed(f"dbt {args[0]} failed: {detail}")
    return BuildResult(candidate_path(home), get_invocation_id(), seconds, nodes, timings)


@contextmanager
def _database_kept_open() -> Iterator[None]:
    """One DuckDB instance for the whole dbt call (profiles.yml's keep_open), closed after it
    so that the file is free again for readers and for other processes."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as Manager

    os.environ["CAREPULSE_DBT_KEEP_OPEN"] = "True"  # as_bool reads Python literals
    try:
        yield
    finally:
        del os.environ["CAREPULSE_DBT_KEEP_OPEN"]
        with Manager._LOCK:
            env, Manager._ENV = Manager._ENV, None
        if env is not None:
            env.close()


def target_dir(home: Path | None = None) -> Path:
    """This home's dbt target (manifest, run results): the evidence copies these, so they must
    not be the project folder's shared `target/`, which any other build may overwrite."""
    return paths.warehouse_dir(home) / "dbt_target"


def cosmos_results_dir(home: Path | None = None) -> Path:
    """The run results of each Cosmos dbt task of the current build, one file per task
    (Cosmos runs every task in a temporary copy of the project that it deletes afterwards)."""
    return target_dir(home) / "cosmos_run_results"


def _target_args(home: Path) -> list[str]:
    """--target-path/--log-path under home; a first build there starts from the partial-parse
    state `carepulse dbt-manifest` left (dbt re-parses in full if it no longer matches)."""
    target = target_dir(home)
    seed = DBT_DIR / "target_manifest" / "partial_parse.msgpack"
    if seed.exists() and not (target / "partial_parse.msgpack").exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed, target / "partial_parse.msgpack")
    return ["--target-path", str(target), "--log-path", str(target / "logs")]


def build_candidate(loaded: LoadedConfig, home: Path | None = None, *, night: date | None = None,
                    select: str | None = None, full_refresh: bool = False) -> BuildResult:
    """Copy published -> candidate, then `dbt build` into the candidate (on Spark:
    transform/spark_build.py)."""
    home = home or paths.home()
    if engine(loaded) == "spark":
        from transform import spark_build

        return spark_build.build_candidate(loaded, home, night=night, select=select,
                                           full_refresh=full_refresh)
    write_config_json(loaded, home)
    start_candidate(home, loaded, full_refresh=full_refresh)
    args = dbt_args("build", night=night, select=select, full_refresh=full_refresh)
    try:
        result = run_dbt([*args, *_target_args(home)], home)
    except BaseException:
        discard_candidate(home)  # half built: worth nothing, and it may be what filled the disk
        raise
    finally:
        drop_parse_scratch(home)
    log.info("candidate built in %.1fs (%d nodes)", result.seconds, len(result.nodes))
    return result


def docs_dir(home: Path | None = None) -> Path:
    """Where the candidate's dbt docs are generated (their own target, so the build's
    manifest and run results in dbt_project/target stay those of the build)."""
    return paths.warehouse_dir(home) / "dbt_docs"


def generate_docs(home: Path | None = None, loaded: LoadedConfig | None = None) -> Path:
    """`dbt docs generate --static` on the candidate: one self-contained page (lineage graph,
    model and column docs, catalog) that opens offline from a file. It starts from the
    build's manifest with `--no-compile` (3 s, against 20 s compiling every node again)."""
    home = home or paths.home()
    target = docs_dir(home)
    target.mkdir(parents=True, exist_ok=True)
    built = target_dir(home) / "manifest.json"
    reuse = ["--no-compile"] if built.exists() else []
    if reuse:
        shutil.copyfile(built, target / "manifest.json")
    on_spark = []
    if engine(loaded) == "spark":  # the catalog comes from the Spark metastore
        from transform import spark_engine

        spark_engine.configured_session(home, loaded.config.warehouse.spark)
        on_spark = ["--target", "spark"]
    run_dbt(["docs", "generate", "--static", *reuse, "--project-dir", str(DBT_DIR), "--profiles-dir",
             str(DBT_DIR), "--target-path", str(target), "--log-path", str(target / "logs"), *on_spark], home)
    return target / "static_index.html"
