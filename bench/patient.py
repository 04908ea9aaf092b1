"""A night's cost for language, screening and aspects against the size of their history.

    python bench/patient.py --histories 1000000,10000000 [--night 100000] [--json FILE]

The three Python models of patient-experience analytics run once per night on the night's
posts: int_sentiment_scores (language detection, then VADER on English texts),
int_post_screening (copy-paste bursts by MinHash LSH, bot signals) and int_text_aspects (the
aspect extractor). What could make them grow with history is what they read of it: the stored
texts they anti-join, the stored posts within a few hours of the night's, the stored verdicts.

For each history size, a fresh candidate warehouse is given the tables those models read, at
that size, by SQL: int_posts_unified (history posts spread over history/night days, each text
distinct, then the night's posts stamped with the night's build id, --stragglers of them (a
share) published up to a week earlier, as searches return older posts), int_author_profiles,
and the three models' own stored rows for every history text and post, with the current
versions (as the nights before would have left them). Then
the three models are built by dbt in-process, incrementally, as the night's build runs them.
Printed per history: seconds per model, the night's total, peak RSS of this process, and the
ratio of the largest history's night to the smallest's. The history's content is synthetic
(texts from a vocabulary); the models' code, SQL and Python, is the production code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carepulse.config import load_config  # noqa: E402
from transform.aspects import default_taxonomy  # noqa: E402
from transform.build import DBT_DIR, write_config_json  # noqa: E402
from transform.language import detector_version  # noqa: E402
from transform.screening import SCREENING_VERSION  # noqa: E402
from transform.sentiment import LEXICON_VERSION, VADER_VERSION  # noqa: E402

CONFIG = ROOT / "config" / "monitoring.yml"
MODELS = ("int_sentiment_scores", "int_post_screening", "int_text_aspects")
NIGHT_BUILD = "bench-night"
# Texts: a sentence of the kind patients post (aspects, languages) then eight words drawn from
# a 5,000-word vocabulary, so texts are distinct as real posts are; one post in 50 is instead a
# variant of one spun spam text (a family of near-identical texts, the copy-paste shape).
SENTENCES = (
    "The nurses at Lakemont were so kind to my dad",
    "Waited six hours in the Northgate ER and nobody explained anything",
    "Billed twice for the same MRI at Summit Ridge, the billing office never calls back",
    "Bayfield urgent care was quick and the doctor listened",
    "La enfermera fue muy amable conmigo en Lakemont",
    "Parking at the hospital is a nightmare and the room was dirty",
    "Got my flu shot today at Lakemont Health",
    "Tell Northgate Medical to stop cutting night-shift nurses, patients deserve safe staffing",
    "Die Wartezeit in der Notaufnahme war viel zu lang",
    "Discharge instructions were clear and the follow-up was booked before we left",
)
WORDS = [f"w{i:04d}" for i in range(5000)]
SPUN = "Win a free health check at Northgate Medical, follow repost and tag three friends to enter"


def say(msg: str) -> None:
    print(msg, flush=True)


def seed_tables(con, history: int, night: int, settings: dict, stragglers: float) -> None:
    """The tables the three models read, at this history size (history build ids 'h')."""
    days = max(1, history // night)
    sentences = ", ".join("'" + s.replace("'", "''") + "'" for s in SENTENCES)
    words = ", ".join(f"'{w}'" for w in WORDS)
    con.execute(f"""
        create or replace macro hb(x, n) as cast(hash(x) % n as bigint);
        create schema if not exists intermediate;
        create or replace table intermediate.int_posts_unified as
        with ids as (
            select i, i >= {history} as is_night from range({history + night}) as t(i)
        )
        select
            'x:tweet:' || i as post_key, 'x' as platform, 'post' as entity_type,
            'x:author' || (hb(i, 200000)) as author_key,
            case when hb(i * 17, 50) = 0
                then '{SPUN} ' || ([{words}])[1 + hb(i * 11, {len(WORDS)})]
                else ([{sentences}])[1 + hb(i * 7, {len(SENTENCES)})] || ' ' || (
                    select string_agg(([{words}])[1 + hb(i * 31 + k, {len(WORDS)})], ' ')
                    from range(8) as r(k))
            end as text_redacted,
            case when hb(i * 5, 10) = 4 then 'es' else 'en' end as lang,
            case
                when is_night and hb(i * 3, 100000) < {round(stragglers * 100000)}  -- published earlier
                    then timestamp '2026-12-05 00:00' - to_seconds(hb(i, (7 * 86400)))
                when is_night then timestamp '2026-12-05 00:00' + to_seconds(hb(i, 86400))
                else timestamp '2026-12-05 00:00' - to_days(1 + (i % {days})) + to_seconds(hb(i, 86400))
            end as published_at,
            false as is_owned, cast(null as varchar) as account_brand_id,
            case when is_night then '{NIGHT_BUILD}' else 'h' || (i % {days}) end as _loaded_in_build
        from ids;
        alter table intermediate.int_posts_unified add column text_hash varchar;
        update intermediate.int_posts_unified set text_hash = sha256(text_redacted);
        alter table intermediate.int_posts_unified add column published_date date;
        update intermediate.int_posts_unified set published_date = cast(published_at as date);
        create or replace table intermediate.int_author_profiles as
        select distinct author_key, 'x' as platform, 300 + hb(author_key, 5000) as followers_count,
               100 + hb(author_key, 800) as following_count, 1000 + hb(author_key, 20000) as post_count,
               cast(date '2015-01-01' + to_days(hb(author_key, 3000)) as date) as account_created_day,
               date '2026-12-04' as counts_seen_date
        from intermediate.int_posts_unified;
        create or replace table intermediate.int_sentiment_scores as
        select text_hash, '{LEXICON_VERSION}' as lexicon_version, '{VADER_VERSION}' as vader_version,
               cast(0.5 as decimal(5, 4)) as stock_compound,
               cast(0.5 as decimal(5, 4)) as adjusted_compound,
               'positive' as stock_label, 'positive' as adjusted_label,
               cast(null as varchar) as not_scored_reason, 'en' as language, 'detected' as language_source,
               '{settings["language_version"]}' as language_version
        from (select distinct text_hash from intermediate.int_posts_unified
              where _loaded_in_build <> '{NIGHT_BUILD}');
        create or replace table intermediate.int_post_screening as
        select post_key, text_hash, author_key, published_at, published_date, false as in_burst,
               0 as burst_accounts, cast(null as varchar) as copy_of, false as new_account,
               false as high_rate,
               false as follow_shape, false as duplicates, 0 as bot_signals, false as is_bot,
               false as is_excluded, cast(null as varchar) as exclusion_reason,
               '{json.dumps(settings["screening"])}' as screening_settings,
               '{SCREENING_VERSION}' as screening_version,
               _loaded_in_build
        from intermediate.int_posts_unified where _loaded_in_build <> '{NIGHT_BUILD}';
        create or replace table intermediate.int_text_aspects as
        select text_hash, 'scheduling' as aspect_id, 0 as clause_index, text_redacted as clause_redacted,
               'waited' as matched_phrase, false as negated, cast(-0.3 as decimal(5, 4)) as clause_compound,
               'negative' as polarity, '{settings["taxonomy_version"]}' as taxonomy_version
        from intermediate.int_posts_unified
        where _loaded_in_build <> '{NIGHT_BUILD}' and hb(text_hash, 5) < 2;
        create schema if not exists build;
        create or replace table build.int_build as select '{NIGHT_BUILD}' as build_id;
    """)


def run_models(home: Path) -> dict[str, float]:
    from dbt.cli.main import dbtRunner

    args = ["run", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
            "--select", " ".join(MODELS), "--target-path", str(home / "dbt_target"),
            "--log-path", str(home / "dbt_logs"), "--vars", json.dumps({"build_id": NIGHT_BUILD}), "--quiet"]
    res = dbtRunner().invoke(args)
    if not res.success:
        raise SystemExit(f"dbt failed: {res.exception or [r.message for r in res.result.results]}")
    return {r.node.name: round(r.execution_time, 2) for r in res.result.results}


def bench(history: int, night: int, workdir: Path, stragglers: float) -> dict:
    import duckdb

    home = workdir / f"h{history}"
    (home / "warehouse" / "parse").mkdir(parents=True)
    os.environ.update(CAREPULSE_HOME=str(home), DO_NOT_TRACK="1",
                      CAREPULSE_PSEUDONYM_KEY="bench-pseudonym-key-0123456789abcdef")
    loaded = load_config(CONFIG)
    write_config_json(loaded, home)
    analysis, screening = loaded.config.analysis, loaded.config.screening
    settings = {"language_version": detector_version(analysis.languages, analysis.language_min_distance),
                "taxonomy_version": default_taxonomy().version,
                "screening": {**screening.copy_paste.model_dump(), **screening.bots.model_dump()}}
    # the settings row the models read (stg_config__settings) comes from dbt itself
    from dbt.cli.main import dbtRunner

    dbtRunner().invoke(["run", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                        "--select", "stg_config__settings", "--target-path", str(home / "dbt_target"),
                        "--log-path", str(home / "dbt_logs"), "--quiet"])
    started = time.perf_counter()
    con = duckdb.connect(str(home / "warehouse" / "candidate.duckdb"))
    seed_tables(con, history, night, settings, stragglers)
    con.close()
    say(f"history {history:,}: tables seeded in {time.perf_counter() - started:.1f} s; building the night")
    started = time.perf_counter()
    seconds = run_models(home)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"history {history:,}: night {total:.1f} s ({', '.join(f'{k} {v} s' for k, v in seconds.items())}), "
        f"peak RSS so far {peak:,.0f} MB")
    return {"history": history, "stragglers": stragglers, "night_s": round(total, 2), "models": seconds,
            "peak_rss_mb": round(peak)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", default="1000000,10000000")
    parser.add_argument("--night", type=int, default=100_000)
    parser.add_argument("--stragglers", type=float, default=0.0,
                        help="share of the night's posts published up to a week before it")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    histories = sorted(int(h) for h in args.histories.split(","))
    with tempfile.TemporaryDirectory(prefix="bench-patient-") as tmp:
        rows = [bench(h, args.night, Path(tmp), args.stragglers) for h in histories]
    ratio = rows[-1]["night_s"] / rows[0]["night_s"]
    say(f"night {args.night:,} posts: {rows[0]['night_s']} s over {histories[0]:,}, "
        f"{rows[-1]['night_s']} s over {histories[-1]:,}: ratio {ratio:.2f}")
    if args.json:
        doc = {"night": args.night, "rows": rows, "ratio": round(ratio, 3)}
        args.json.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
