"""`carepulse alerts ...`: deliver the published night's alerts by hand, and see the ledger."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from carepulse import paths
from carepulse.config import ConfigError, load_config

alerts_app = typer.Typer(help="Deliver alerts (e-mail, webhooks) and see what was sent.",
                         no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_UNDELIVERED = 3  # like `extract --strict` on a partial run: done, but not everything went out


@alerts_app.command("deliver")
def alerts_deliver(
    night: Annotated[str | None, typer.Option(
        "--night", help="published night whose alerts are sent: YYYY-MM-DD, yesterday or today-N "
                        "(default: the newest night published)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="config file (default $CAREPULSE_CONFIG "
                                                "or config/monitoring.yml)")] = None,
) -> None:
    """Send what is due: the night's new alerts and anything pending after a failed attempt.
    Nothing already sent is sent again. Exit 3 when something is still undelivered."""
    from carepulse.cli import night_of
    from notify.deliver import deliver

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        loaded = load_config(config)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        day = night_of(night) if night else None
    except ValueError as exc:
        raise typer.BadParameter(f"--night is YYYY-MM-DD, yesterday or today-N: {exc}") from None
    if not loaded.config.alerts.enabled:
        out.print(f"alerts.enabled is false in {loaded.path}: nothing to deliver")
        return
    summary = deliver(loaded.config.alerts, paths.home(), day, say=lambda line: out.print(line, markup=False))
    if summary.error:  # already said, as the last line
        raise typer.Exit(1)
    if any(r.retrying or r.gave_up for r in summary.channels):
        raise typer.Exit(EXIT_UNDELIVERED)


@alerts_app.command("status")
def alerts_status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    limit: Annotated[int, typer.Option(help="undelivered rows listed")] = 20,
) -> None:
    """One line per channel (sent, pending, sending, failed), then what is not delivered."""
    from notify.outbox import Outbox, ledger_path

    if not ledger_path(paths.home()).exists():  # reading must not create the ledger
        out.print(f"no delivery recorded yet ({ledger_path(paths.home())} does not exist)")
        return
    with Outbox(paths.home()) as outbox:
        counts, open_rows = outbox.counts(), outbox.rows(("pending", "sending", "failed"))
    if as_json:
        out.print(json.dumps({"channels": counts, "undelivered": open_rows}, indent=1), markup=False)
        return
    for channel, states in counts.items():
        out.print(f"{channel}: " + ", ".join(f"{n} {state}" for state, n in states.items()), markup=False)
    for row in open_rows[:limit]:
        out.print(f"  {row['state']:<7} {row['channel']}  {row['alert_id']}  attempts {row['attempts']}"
                  + (f"  last error: {row['last_error']}" if row["last_error"] else ""), markup=False)
    if len(open_rows) > limit:
        out.print(f"  ... and {len(open_rows) - limit} more (--limit, --json)")
