"""`carepulse lineage ...` and `carepulse audit ...`: what an auditor runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from carepulse import paths

lineage_app = typer.Typer(help="Trace published numbers to their evidence.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the evidence bundles and the raw zone.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _emit(doc: dict, as_json: bool, text: str) -> None:
    out.print(json.dumps(doc, indent=1, default=str) if as_json else text, markup=False)


@lineage_app.command("trace")
def lineage_trace(
    mart: Annotated[str, typer.Argument(help="e.g. fct_share_of_voice_daily")],
    key: Annotated[list[str], typer.Argument(help="the row's key, e.g. 2026-11-25 x lakemont")],
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="mentions listed in the text output")] = 20,
) -> None:
    """One published row -> its mentions, staging rows, raw files and lines, runs and checks."""
    from lineage.trace import TraceError, render_text, trace

    try:
        result = trace(paths.home(), mart, key)
    except TraceError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _emit(result, as_json, render_text(result, limit))
    if not result["verified"]:
        raise typer.Exit(1)


@lineage_app.command("columns")
def lineage_columns(
    target: Annotated[str, typer.Argument(help="<mart>.<column>, e.g. fct_share_of_voice_daily.mention_sov")],
    as_json: JsonOpt = False,
) -> None:
    """Column-level lineage of a mart column down to source fields (dbt manifest + sqlglot)."""
    from lineage.columns import LineageError, column_lineage, load_manifest, render_text, to_json

    manifest = _latest_manifest()
    try:
        result = column_lineage(load_manifest(manifest), target)
    except LineageError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _emit(to_json(result), as_json, render_text(result))


def _latest_manifest():
    """The dbt manifest of the run that published the current warehouse (else the last build's)."""
    from carepulse.audit import latest_published_run
    from transform.build import target_dir

    run = latest_published_run(paths.home())
    if run is not None and (run / "dbt_manifest.json").exists():
        return run / "dbt_manifest.json"
    fallback = target_dir(paths.home()) / "manifest.json"
    if not fallback.exists():
        err.print("[red]no dbt manifest: publish a run (carepulse run) or build once[/red]")
        raise typer.Exit(2)
    return fallback


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Re-hash raw files against their manifests, manifests against the bundles; walk the chain."""
    from carepulse.audit import render_text, verify

    report = verify(paths.home())
    _emit(report.to_json(), as_json, render_text(report))
    if not report.ok:
        raise typer.Exit(1)
