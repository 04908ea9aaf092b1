"""The delivery ledger: `audit/deliveries.sqlite`, one row per (alert_id, channel).

States: `pending` (to send; a failed attempt returns here), `sending` (claimed: an attempt is
under way), `sent`, and `failed` (gave up after `alerts.max_attempts`). Every attempt is
written down twice, each time in its own committed transaction:

    pending --claim (attempts + 1)--> sending --send--> sent | pending (error) | failed

so a process that dies between the two leaves a row in `sending`. Delivery runs hold
`audit/deliveries.lock` (flock: the kernel drops it when its holder dies), so a run that finds
a row in `sending` knows its claimer is dead: the row is "in doubt" (the message may or may not
have gone out) and goes back to pending with a note, to be sent again.

Honest limits: delivery is at least once, not exactly once. The window is between the server
accepting a message (SMTP's 250 after DATA, a webhook's 2xx) and the `sent` commit right after
it; a crash there, or a connection lost after the server accepted but before its reply arrived,
sends the message again on the next run. Webhook receivers can drop the repeat by its
`Idempotency-Key`; an e-mail repeat carries the same Message-ID, which many mail systems
de-duplicate. Error texts are masked (carepulse.secrets) before they are stored.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from carepulse import paths
from carepulse.secrets import mask

LEDGER = "deliveries.sqlite"
LOCK = "deliveries.lock"
STATES = ("pending", "sending", "sent", "failed")

SCHEMA = """
create table if not exists messages (
    alert_id text primary key,
    kind text not null,           -- alert kind, or 'digest'
    day text not null,            -- the alert's day (the digest's: its night)
    night text not null,          -- the published night the message was first seen for
    payload text not null         -- what is sent, as first seen (JSON)
);
create table if not exists deliveries (
    alert_id text not null references messages (alert_id),
    channel text not null,        -- 'email' or 'webhook:<id>'
    state text not null check (state in ('pending', 'sending', 'sent', 'failed')),
    attempts integer not null default 0 check (attempts >= 0),
    last_error text,
    first_seen text not null,
    last_attempt_at text,
    sent_at text,
    primary key (alert_id, channel)
);
"""


@dataclass(frozen=True)
class Message:
    """A ledger entry's content: an alert (payload of notify.alerts.Alert) or a night's digest."""

    alert_id: str
    kind: str
    day: date
    night: date
    payload: dict


def ledger_path(home: Path) -> Path:
    return paths.audit_dir(home) / LEDGER


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class LedgerBusy(RuntimeError):
    """Another delivery run holds the ledger."""


@contextmanager
def delivery_lock(home: Path, wait_s: float = 60.0) -> Iterator[None]:
    """One delivery run at a time per home (the DAG's task and `carepulse alerts deliver` may
    meet); LedgerBusy after `wait_s`. Holding it is what makes a `sending` row provably dead."""
    target = paths.audit_dir(home) / LOCK
    target.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    with target.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LedgerBusy(f"another delivery run holds {target} (waited {wait_s:.0f} s)") from None
                time.sleep(0.2)
        yield  # closing the file releases the lock


class Outbox:
    """The ledger, opened for one delivery run (or one `status` read)."""

    def __init__(self, home: Path):
        self.path = ledger_path(home)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: every change below is its own explicit, durable transaction
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("pragma synchronous = full")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("begin immediate")
        try:
            yield self.db
        except BaseException:
            self.db.execute("rollback")
            raise
        self.db.execute("commit")

    # -- what is to be sent ---------------------------------------------------------------------

    def add(self, message: Message, channels: list[str]) -> int:
        """Record a message for each channel unless already there (whatever its state): returns
        how many (message, channel) rows are new. The payload stays as first seen."""
        with self._transaction() as db:
            db.execute("insert or ignore into messages values (?, ?, ?, ?, ?)",
                       (message.alert_id, message.kind, message.day.isoformat(), message.night.isoformat(),
                        json.dumps(message.payload, sort_keys=True)))
            before = db.total_changes
            db.executemany("insert or ignore into deliveries (alert_id, channel, state, first_seen) "
                           "values (?, ?, 'pending', ?)", [(message.alert_id, c, _now()) for c in channels])
            return db.total_changes - before

    def due(self, channel: str) -> list[Message]:
        """The channel's pending messages, oldest first."""
        rows = self.db.execute(
            "select m.* from deliveries d join messages m using (alert_id) "
            "where d.channel = ? and d.state = 'pending' order by d.first_seen, m.day, m.alert_id",
            (channel,)).fetchall()
        return [_message(r) for r in rows]

    def first_seen_for(self, night: date, kinds: list[str]) -> list[Message]:
        """Alerts first seen for `night` (a night's digest lists each alert once, on its first night)."""
        marks = ", ".join("?" * len(kinds))
        rows = self.db.execute(f"select * from messages where night = ? and kind in ({marks}) "
                               "order by day, alert_id", (night.isoformat(), *kinds)).fetchall()
        return [_message(r) for r in rows]

    # -- one attempt: claim, then the outcome ---------------------------------------------------------

    def claim(self, alert_id: str, channel: str) -> bool:
        """pending -> sending, counting the attempt, committed before anything is sent."""
        with self._transaction() as db:
            cur = db.execute("update deliveries set state = 'sending', attempts = attempts + 1, "
                             "last_attempt_at = ? where alert_id = ? and channel = ? and state = 'pending'",
                             (_now(), alert_id, channel))
            return cur.rowcount == 1

    def sent(self, alert_id: str, channel: str, note: str | None = None) -> None:
        """sending -> sent. `last_error` keeps the last failure before it (an "in doubt" note says
        this send may repeat one), or `note`: what the server said about a partial success."""
        with self._transaction() as db:
            db.execute("update deliveries set state = 'sent', sent_at = ?, "
                       "last_error = coalesce(?, last_error) "
                       "where alert_id = ? and channel = ? and state = 'sending'",
                       (_now(), mask(note) if note else None, alert_id, channel))

    def attempt_failed(self, alert_id: str, channel: str, error: str, max_attempts: int) -> str:
        """sending -> pending (retried by a later run) or failed (max_attempts reached); returns the state."""
        with self._transaction() as db:
            db.execute("update deliveries set last_error = ?, state = case when attempts >= ? "
                       "then 'failed' else 'pending' end "
                       "where alert_id = ? and channel = ? and state = 'sending'",
                       (mask(error), max_attempts, alert_id, channel))
            return db.execute("select state from deliveries where alert_id = ? and channel = ?",
                              (alert_id, channel)).fetchone()[0]

    # -- housekeeping at the start of a run (under the delivery lock) ----------------------------------

    def recover_interrupted(self, max_attempts: int) -> list[tuple[str, str]]:
        """Rows left in `sending` by a dead run: in doubt, back to pending (or failed at the limit)."""
        with self._transaction() as db:
            rows = db.execute("select alert_id, channel, last_attempt_at from deliveries "
                              "where state = 'sending'").fetchall()
            for r in rows:
                db.execute("update deliveries set state = case when attempts >= ? then 'failed' "
                           "else 'pending' end, last_error = ? where alert_id = ? and channel = ?",
                           (max_attempts, f"in doubt: the attempt at {r['last_attempt_at']} was interrupted "
                            "before its outcome was recorded; it may have been delivered, and the next "
                            "attempt may repeat it", r["alert_id"], r["channel"]))
        return [(r["alert_id"], r["channel"]) for r in rows]

    def give_up_beyond(self, max_attempts: int) -> int:
        """Pending rows already at the limit (max_attempts was lowered in the config): failed."""
        with self._transaction() as db:
            return db.execute("update deliveries set state = 'failed' where state = 'pending' "
                              "and attempts >= ?", (max_attempts,)).rowcount

    # -- reading ----------------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        """channel -> state -> rows."""
        out: dict[str, dict[str, int]] = {}
        for r in self.db.execute("select channel, state, count(*) as n from deliveries "
                                 "group by channel, state order by channel"):
            out.setdefault(r["channel"], dict.fromkeys(STATES, 0))[r["state"]] = r["n"]
        return out

    def rows(self, states: tuple[str, ...] = STATES) -> list[dict]:
        marks = ", ".join("?" * len(states))
        return [dict(r) for r in self.db.execute(
            f"select d.*, m.kind, m.day, m.night from deliveries d join messages m using (alert_id) "
            f"where d.state in ({marks}) order by d.channel, d.first_seen, d.alert_id", states)]


def _message(row: sqlite3.Row) -> Message:
    return Message(row["alert_id"], row["kind"], date.fromisoformat(row["day"]),
                   date.fromisoformat(row["night"]), json.loads(row["payload"]))
