"""The published night's alerts, read from the published warehouse as plain records.

Each alert's id is built from its mart's natural key, so reading the same night again (a
rerun, `carepulse alerts deliver` by hand) yields the same ids and the ledger recognises
them: `sentiment:<sentiment_day_key>:<alert_kind>`, `aspect_spike:<aspect_day_key>`,
`data_health:<health_key>`.

Only days from `night - max_age_days` to `night` are read: switching delivery on over a
warehouse with months of history must not mail that history to anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from carepulse.secrets import mask
from carepulse.sources import SOURCES

log = logging.getLogger("carepulse.notify")


@dataclass(frozen=True)
class Alert:
    """One alert as people read it: a title line, labelled figures, and how far from normal it is."""

    alert_id: str
    kind: str  # one of carepulse.config.ALERT_KINDS
    day: date
    title: str
    headline: str  # the figure that made it an alert: the digest's line
    facts: tuple[tuple[str, str], ...]
    severity: float  # larger is further from normal: orders the digest

    def to_payload(self) -> dict:
        return {"alert_id": self.alert_id, "kind": self.kind, "day": self.day.isoformat(),
                "title": self.title, "headline": self.headline, "facts": [list(f) for f in self.facts],
                "severity": self.severity}

    @classmethod
    def from_payload(cls, doc: dict) -> Alert:
        return cls(doc["alert_id"], doc["kind"], date.fromisoformat(doc["day"]), doc["title"],
                   doc["headline"], tuple((label, value) for label, value in doc["facts"]),
                   float(doc["severity"]))


@dataclass(frozen=True)
class Collected:
    night: date
    alerts: list[Alert]
    skipped: dict[str, str]  # alert kind -> why it could not be read tonight


def latest_night(warehouse: Path) -> date | None:
    """The newest night in the published warehouse (its data-health mart), None when empty."""
    with _connect(warehouse) as con:
        row = con.execute("select max(night) from marts.fct_data_health_nightly").fetchone()
    return row[0] if row else None


def collect(warehouse: Path, night: date, max_age_days: int) -> Collected:
    """Every alert whose day lies in [night - max_age_days, night]. A mart that is missing or
    unreadable skips its kinds (named in `skipped`, logged); the other kinds are still read."""
    first = night - timedelta(days=max_age_days)
    alerts: list[Alert] = []
    skipped: dict[str, str] = {}
    with _connect(warehouse) as con:
        for table, kinds, reader in READERS:
            why = _unreadable(con, table)
            if why is None:
                try:
                    alerts += reader(con, first, night)
                    continue
                except duckdb.Error as exc:
                    why = mask(f"marts.{table} could not be read: {type(exc).__name__}: {exc}")
            for kind in kinds:
                skipped[kind] = why
            log.warning("alert kinds %s skipped for night %s: %s", ", ".join(kinds), night, why)
    alerts.sort(key=lambda a: (a.day, a.alert_id))
    return Collected(night, alerts, skipped)


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    # read-only, like the dashboard: the nightly build writes a candidate and swaps it in
    return duckdb.connect(str(warehouse), read_only=True)


def _unreadable(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    found = con.execute("select count(*) from information_schema.tables "
                        "where table_schema = 'marts' and table_name = ?", [table]).fetchone()[0]
    return None if found else f"marts.{table} is not in the published warehouse"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, first: date, last: date) -> list[dict]:
    cursor = con.execute(sql, {"first": first, "last": last})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _platform(platform: str) -> str:
    if platform == "all":
        return "all platforms"
    source = SOURCES.get(platform)
    return source.display_name if source else platform


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "n/a" if value is None else fmt.format(value)


# -- sentiment and news spikes (fct_sentiment_alerts_daily) -----------------------------------------

SENTIMENT_SQL = """
select
    alerts.sentiment_day_key, alerts.date_day, alerts.brand_id,
    coalesce(brands.brand_name, alerts.brand_id) as brand_name,
    alerts.platform, alerts.alert_kind,
    alerts.mentions::bigint as mentions,
    alerts.negative_mentions::bigint as negative_mentions,
    alerts.net_sentiment::double as net_sentiment,
    alerts.baseline_net_sentiment::double as baseline_net_sentiment,
    alerts.baseline_days::bigint as baseline_days,
    alerts.net_sentiment_z::double as net_sentiment_z,
    alerts.baseline_negative_mentions::double as baseline_negative_mentions,
    alerts.negative_volume_z::double as negative_volume_z,
    alerts.baseline_news_articles::double as baseline_news_articles,
    alerts.news_volume_z::double as news_volume_z
from marts.fct_sentiment_alerts_daily as alerts
left join marts.dim_brands as brands on brands.brand_id = alerts.brand_id
where alerts.is_alert and alerts.date_day between $first and $last
order by alerts.date_day, alerts.sentiment_day_key
"""

# the mart caps an infinite z (a spike over a baseline without spread) at 9999
NO_SPREAD_Z = 9999


def _sentiment(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[Alert]:
    return [_sentiment_alert(row) for row in _rows(con, SENTIMENT_SQL, first, last)]


def _sentiment_alert(row: dict) -> Alert:
    kind = "news_spike" if row["alert_kind"] == "news_spike" else "sentiment"
    where = _platform(row["platform"])
    common = (("Brand", row["brand_name"]), ("Platform", where), ("Day", row["date_day"].isoformat()))
    if row["alert_kind"] == "news_spike":
        z = row["news_volume_z"]
        spread = ("no spread in the baseline" if z is not None and z >= NO_SPREAD_Z
                  else f"z {_num(z, '{:+.1f}')}")
        title = f"{row['brand_name']}: news spike, {row['date_day']}"
        figures = (("Articles", f"{row['mentions']} (baseline {_num(row['baseline_news_articles'], '{:.1f}')}"
                                f"/day, {spread})"),)
    elif row["alert_kind"] == "negative_volume_spike":
        z = row["negative_volume_z"]
        title = f"{row['brand_name']}: spike in negative mentions on {where}, {row['date_day']}"
        figures = (("Negative mentions", f"{row['negative_mentions']} (baseline "
                                         f"{_num(row['baseline_negative_mentions'], '{:.1f}')}/day, "
                                         f"z {_num(z, '{:+.1f}')})"),
                   ("Mentions", str(row["mentions"])))
    else:  # net_sentiment_drop / net_sentiment_rise
        z = row["net_sentiment_z"]
        verb = "dropped" if row["alert_kind"] == "net_sentiment_drop" else "rose"
        title = f"{row['brand_name']}: net sentiment {verb} on {where}, {row['date_day']}"
        figures = (("Net sentiment", f"{_num(row['net_sentiment'], '{:+.2f}')} (baseline "
                                     f"{_num(row['baseline_net_sentiment'], '{:+.2f}')} over "
                                     f"{row['baseline_days']} days, z {_num(z, '{:+.1f}')})"),
                   ("Mentions", f"{row['mentions']}, {row['negative_mentions']} negative"))
    label, value = figures[0]
    return Alert(f"sentiment:{row['sentiment_day_key']}:{row['alert_kind']}", kind, row["date_day"], title,
                 f"{label.lower()} {value}", common + figures, abs(z or 0.0))


# -- patient-experience aspect spikes (fct_aspect_sentiment_daily) ----------------------------------

# location_id 'all': the brand over every source (social mentions have no site); else one
# site's reviews
ASPECT_SQL = """
select
    aspects.aspect_day_key, aspects.activity_date, aspects.brand_id,
    coalesce(brands.brand_name, aspects.brand_id) as brand_name,
    aspects.location_id,
    case when aspects.location_id <> 'all' then coalesce(locations.location_name, aspects.location_id)
    end as location_name,
    aspects.aspect_id, aspects.aspect_name,
    aspects.mentions::bigint as mentions,
    aspects.negative_mentions::bigint as negative_mentions,
    aspects.net_sentiment::double as net_sentiment,
    aspects.baseline_negative_mean::double as baseline_negative_mean
from marts.fct_aspect_sentiment_daily as aspects
left join marts.dim_brands as brands on brands.brand_id = aspects.brand_id
left join marts.dim_locations as locations on locations.location_id = aspects.location_id
where aspects.is_spike and aspects.activity_date between $first and $last
order by aspects.activity_date, aspects.aspect_day_key
"""


def _aspect_spikes(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[Alert]:
    return [_aspect_alert(row) for row in _rows(con, ASPECT_SQL, first, last)]


def _aspect_alert(row: dict) -> Alert:
    baseline = row["baseline_negative_mean"]
    at = f" at {row['location_name']}" if row["location_name"] else ""
    title = (f"{row['brand_name']}: negative mentions of {row['aspect_name'].lower()} spiked{at}, "
             f"{row['activity_date']}")
    negative = f"{row['negative_mentions']} (baseline {_num(baseline, '{:.1f}')}/day)"
    facts = (("Brand", row["brand_name"]), ("Location", row["location_name"] or "all sources"),
             ("Aspect", row["aspect_name"]), ("Day", row["activity_date"].isoformat()),
             ("Negative mentions", negative), ("Mentions", str(row["mentions"])),
             ("Net sentiment", _num(row["net_sentiment"], "{:+.2f}")))
    ratio = row["negative_mentions"] / baseline if baseline else float(row["negative_mentions"])
    return Alert(f"aspect_spike:{row['aspect_day_key']}", "aspect_spike", row["activity_date"], title,
                 f"negative mentions {negative}", facts, ratio)


# -- data health (fct_data_health_nightly) ------------------------------------------------------------

# 'missing' is not alerted: a platform that is not enabled, or read on a batch's newest night only
# (Google reviews), is 'missing' on those nights by design; a night not extracted at all fails the
# DAG run itself, which the failure callback records.
DATA_HEALTH_SQL = """
select
    health_key, night, platform, health_status,
    shards::bigint as shards, shards_complete::bigint as shards_complete,
    array_to_string(partial_reason_kinds, ', ') as reasons,
    records_fetched::bigint as records_fetched,
    latest_run_id
from marts.fct_data_health_nightly
where health_status in ('failed', 'partial') and night between $first and $last
order by night, platform
"""


def _data_health(con: duckdb.DuckDBPyConnection, first: date, last: date) -> list[Alert]:
    return [_health_alert(row) for row in _rows(con, DATA_HEALTH_SQL, first, last)]


def _health_alert(row: dict) -> Alert:
    where = _platform(row["platform"])
    reasons = row["reasons"] or "not recorded"
    title = f"Data health: {where} {row['health_status']} on night {row['night']} ({reasons})"
    complete = f"{row['shards_complete']} of {row['shards']}"
    facts = (("Platform", where), ("Night", row["night"].isoformat()), ("Status", row["health_status"]),
             ("Shards complete", complete), ("Reasons", reasons),
             ("Records fetched", str(row["records_fetched"])),
             ("Latest run", row["latest_run_id"] or "none"))
    incomplete = 1 - row["shards_complete"] / row["shards"] if row["shards"] else 1.0
    severity = (2.0 if row["health_status"] == "failed" else 1.0) + incomplete
    return Alert(f"data_health:{row['health_key']}", "data_health", row["night"], title,
                 f"shards complete {complete}", facts, severity)


Reader = Callable[[duckdb.DuckDBPyConnection, date, date], list[Alert]]
# each mart, the alert kinds it yields, and its reader; a mart missing skips its kinds only
READERS: tuple[tuple[str, tuple[str, ...], Reader], ...] = (
    ("fct_sentiment_alerts_daily", ("sentiment", "news_spike"), _sentiment),
    ("fct_aspect_sentiment_daily", ("aspect_spike",), _aspect_spikes),
    ("fct_data_health_nightly", ("data_health",), _data_health),
)
