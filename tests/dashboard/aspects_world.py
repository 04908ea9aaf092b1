"""Patient-experience aspects, written into a copy of the news world for the aspects page.

The page reads three marts: `dim_aspects` (the seed), `fct_mention_aspects` (one row per aspect
found in a mention or review) and `fct_aspect_sentiment_daily` (per day x brand x location x
aspect, with the 28 days before each day as its baseline). The tests write all three here,
consistent with each other: the daily mart is worked out from the occurrences, so the page's
figures can be checked against the occurrences row by row. Sixty days back from the world's
newest night N, drawn from one seed, for the organisation (its social mentions, which have no
location, and its sites' reviews) and one competitor (social only). Planted: a spike of
negative mentions of scheduling on N, insurance and billing turning negative in the last seven
days, quietness mentioned only before them, a negated phrase, and a copy-paste cluster on N
(excluded: never counted, never shown). Tables are replaced when they exist (the pipeline's own
marts, once they land), so the rows the tests check are always these.
"""

from __future__ import annotations

import csv
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from tests.conftest import ROOT

SEED = 20261209
HISTORY_DAYS = 60
BASELINE_DAYS, SPIKE_MIN_NEGATIVE, SPIKE_RATIO = 28, 5, 3.0  # the config's defaults
SEED_CSV = ROOT / "dbt_project" / "seeds" / "patient_experience_aspects.csv"
SOCIAL = ("reddit", "x", "mastodon", "bluesky")

DDL = {
    "dim_aspects": "aspect_id varchar primary key, aspect_name varchar, domain varchar, "
                   "hcahps_measure_id varchar, definition varchar",
    "fct_mention_aspects": """
        mention_aspect_key varchar primary key, post_key varchar, brand_id varchar, location_id varchar,
        aspect_id varchar, mention_date date, platform varchar, entity_type varchar, polarity varchar,
        sentence_compound decimal(6, 4), matched_phrase varchar, negated boolean, sentence_redacted varchar,
        is_excluded boolean""",
    "fct_aspect_sentiment_daily": """
        aspect_day_key varchar primary key, activity_date date, brand_id varchar, location_id varchar,
        aspect_id varchar, aspect_name varchar, domain varchar, mentions integer, positive_mentions integer,
        negative_mentions integer, neutral_mentions integer, net_sentiment decimal(18, 10),
        baseline_days integer, baseline_mentions_mean double, baseline_negative_mean double,
        baseline_net_sentiment decimal(18, 10), net_sentiment_change decimal(18, 10), is_spike boolean,
        aspect_baseline_days integer, aspect_spike_min_negative integer, aspect_spike_ratio double""",
}

# aspect -> (phrase found, mentions a day for the organisation, share negative)
RATES = {
    "nurse_communication": ("the nurses explained", 1.2, 0.2),
    "doctor_communication": ("the doctor listened", 0.8, 0.3),
    "cleanliness": ("the room", 0.5, 0.4),
    "quietness": ("the noise at night", 0.3, 0.6),
    "scheduling": ("the wait", 1.0, 0.5),
    "insurance_billing": ("the bill", 0.6, 0.3),
    "facilities": ("parking", 0.7, 0.5),
    "staff_compassion": ("the staff were kind", 0.9, 0.15),
}
SENTENCES = {
    "negative": ("Honestly {phrase} was awful and nobody at [NAME]'s desk helped.",
                 "Two hours and {phrase} was still a disaster, called [PHONE] twice.",
                 "Never again, {phrase} was the worst part."),
    "positive": ("Really grateful, {phrase} was great.", "Five stars: {phrase} made it easy.",
                 "Thank you [NAME], {phrase} was better than expected."),
    "neutral": ("I have a question about {phrase} before my visit.",
                "Does anyone know how {phrase} works here?", "Asking about {phrase} for my mother."),
}
COMPOUNDS = {"negative": -0.6249, "positive": 0.6369, "neutral": 0.0}
NEGATED = "The room was not clean when we arrived."
COPY = "Worst wait ever at this hospital, share this everywhere now"


@dataclass(frozen=True)
class Occurrence:
    brand_id: str
    location_id: str | None  # a site for its reviews; None for social mentions
    aspect_id: str
    day: date
    platform: str
    polarity: str
    sentence: str
    phrase: str
    negated: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class World:
    statements: tuple[str, ...]
    frames: dict[str, pd.DataFrame]


def aspects() -> pd.DataFrame:
    with SEED_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = ["aspect_id", "aspect_name", "domain", "hcahps_measure_id", "definition"]  # the mart's
    return pd.DataFrame(rows)[columns].replace({"hcahps_measure_id": {"": None}})


def _poisson(rng: random.Random, mean: float) -> int:
    threshold, k, p = math.exp(-mean), 0, rng.random()
    while p > threshold:
        k, p = k + 1, p * rng.random()
    return k


def _drawn(rng: random.Random, brand: str, sites: list[str], aspect: str, day: date,
           negative_share: float) -> Occurrence:
    phrase = RATES[aspect][0]
    roll = rng.random()
    polarity = "negative" if roll < negative_share else "positive" if roll < 0.8 else "neutral"
    location = rng.choice(sites) if sites and rng.random() < 0.5 else None
    platform = "gbp" if location else rng.choice(SOCIAL)
    return Occurrence(brand, location, aspect, day, platform, polarity,
                      rng.choice(SENTENCES[polarity]).format(phrase=phrase), phrase)


def occurrences(newest: date, organisation: str, competitor: str, sites: list[str],
                seed: int = SEED) -> list[Occurrence]:
    """Every aspect found: drawn history plus the planted cases."""
    rng = random.Random(seed)
    recent = newest - timedelta(days=6)
    out = []
    for offset in range(HISTORY_DAYS - 1, -1, -1):
        day = newest - timedelta(days=offset)
        for aspect, (_, rate, negative) in RATES.items():
            if aspect in ("quietness", "insurance_billing") and day >= recent:
                continue  # quietness: mentioned only before the default period; billing: planted below
            for brand, scale, where in ((organisation, 1.0, sites), (competitor, 0.5, [])):
                out.extend(_drawn(rng, brand, where, aspect, day, negative)
                           for _ in range(_poisson(rng, rate * scale)))
    billing = [Occurrence(organisation, None, "insurance_billing", recent + timedelta(days=d), "reddit",
                          polarity, SENTENCES[polarity][d % 3].format(phrase="the bill"), "the bill")
               for d in range(7)
               for polarity in ("negative", "negative", *(("positive",) if d % 3 == 0 else ()))]
    spike = [Occurrence(organisation, None, "scheduling", newest, SOCIAL[i % len(SOCIAL)], "negative",
                        SENTENCES["negative"][i % 3].format(phrase="the wait"), "the wait")
             for i in range(12)]
    negated = Occurrence(organisation, sites[0], "cleanliness", newest, "gbp", "negative", NEGATED,
                         "clean", negated=True)
    copies = [Occurrence(organisation, None, "scheduling", newest, "x", "negative", COPY, "wait",
                         excluded=True) for _ in range(6)]
    return out + billing + spike + [negated] + copies


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def mention_rows(items: list[Occurrence]) -> pd.DataFrame:
    rows = []
    for n, item in enumerate(items):
        post_key = f"{item.platform}:{'review' if item.location_id else 'post'}:{_key(n, item.day)}"
        rows.append({
            "mention_aspect_key": _key(post_key, item.aspect_id), "post_key": post_key,
            "brand_id": item.brand_id, "location_id": item.location_id, "aspect_id": item.aspect_id,
            "mention_date": item.day, "platform": item.platform,
            "entity_type": "review" if item.location_id else "post", "polarity": item.polarity,
            "sentence_compound": COMPOUNDS[item.polarity], "matched_phrase": item.phrase,
            "negated": item.negated, "sentence_redacted": item.sentence, "is_excluded": item.excluded})
    return pd.DataFrame(rows)


def _net(positive: int, negative: int) -> float | None:
    return (positive - negative) / (positive + negative) if positive + negative else None


def daily_rows(found: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """fct_aspect_sentiment_daily from the kept occurrences as the mart defines it: a row for each
    day with an occurrence, per site and for 'all' (every source), each against the 28 days
    before it (daily means over all 28, days without any counting as zero)."""
    kept = found[~found.is_excluded]
    scopes = pd.concat([kept.assign(site=kept.location_id), kept.assign(site="all")])
    scopes = scopes[scopes.site.notna()]
    counts = scopes.groupby(["brand_id", "site", "aspect_id", "mention_date", "polarity"]).size()
    meta = names.set_index("aspect_id")
    rows = []
    for (brand, where, aspect), mine in scopes.groupby(["brand_id", "site", "aspect_id"]):
        def count(day: date, polarity: str, key=(brand, where, aspect)) -> int:
            return int(counts.get((*key, day, polarity), 0))

        seen = set(mine.mention_date)
        for day in sorted(seen):
            pos, neg, neu = (count(day, p) for p in ("positive", "negative", "neutral"))
            window = [day - timedelta(days=d) for d in range(1, BASELINE_DAYS + 1)]
            b_pos, b_neg = (sum(count(d, p) for d in window) for p in ("positive", "negative"))
            b_all = b_pos + b_neg + sum(count(d, "neutral") for d in window)
            days = sum(d in seen for d in window)  # days of the window with a row (an occurrence)
            neg_mean = b_neg / BASELINE_DAYS  # days without any count as zero
            net, b_net = _net(pos, neg), _net(b_pos, b_neg)
            rows.append({
                "aspect_day_key": f"{day}|{brand}|{where}|{aspect}", "activity_date": day, "brand_id": brand,
                "location_id": where, "aspect_id": aspect, "aspect_name": meta.aspect_name[aspect],
                "domain": meta.domain[aspect], "mentions": pos + neg + neu, "positive_mentions": pos,
                "negative_mentions": neg, "neutral_mentions": neu, "net_sentiment": net,
                "baseline_days": days,
                "baseline_mentions_mean": b_all / BASELINE_DAYS, "baseline_negative_mean": neg_mean,
                "baseline_net_sentiment": b_net,
                "net_sentiment_change": None if net is None or b_net is None else net - b_net,
                "is_spike": neg >= SPIKE_MIN_NEGATIVE and neg >= SPIKE_RATIO * neg_mean,
                "aspect_baseline_days": BASELINE_DAYS, "aspect_spike_min_negative": SPIKE_MIN_NEGATIVE,
                "aspect_spike_ratio": SPIKE_RATIO})
    return pd.DataFrame(rows)


def build(newest: date, organisation: str, competitor: str, sites: list[str]) -> World:
    """The three aspect marts for a world whose newest night is `newest`."""
    names = aspects()
    found = mention_rows(occurrences(newest, organisation, competitor, sites))
    frames = {"dim_aspects": names, "fct_mention_aspects": found,
              "fct_aspect_sentiment_daily": daily_rows(found, names)}
    statements = tuple(f"create or replace table marts.{name} ({columns})" for name, columns in DDL.items())
    return World(statements, frames)
