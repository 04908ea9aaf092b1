"""Hand-made news articles, written into a copy of the published world for the News page.

The pipeline's own simulated feeds give articles, but not on demand every case the page must
show. So the tests replace the news platform's rows of each mart the dashboard reads with
these, kept consistent with each other: `fct_news_articles`, and the news rows of
`fct_mentions`, `fct_share_of_voice_daily` and `fct_sentiment_alerts_daily` (the cross-platform
'all' rows are left as they were). Three weeks of articles about the panel, dated back from
the world's newest night N, drawn from one seed; a day in the period without any article
(N - 2); a news spike of the organisation on the first extracted night (N - 1) and of a
competitor on N; and on N one article for each case the table must show: a low-credibility
outlet, a Spanish headline without a GDELT tone, a GDELT query match whose headline names no
brand, an undated feed item, and one article about two brands.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd

SEED = 20261208
HISTORY_DAYS = 21
RUN_ID = "news-world"
BASELINE_DAYS = 14  # the alert mart's news_spike_baseline_days

# domain -> (outlet, credibility, country, language)
OUTLETS = {
    "riverside-courier.example": ("Riverside Courier", "unknown", "United States", "en"),
    "lakemont-gazette.example": ("Lakemont Gazette", "unknown", "United States", "en"),
    "metro-daily.example": ("Metro Daily", "unknown", "United States", "en"),
    "health.state.example": ("State Health Department", "authoritative", "United States", "en"),
    "factcheck.example": ("FactCheck Desk", "fact_checker", "United States", "en"),
    "noticiasdelvalle.example": ("Noticias del Valle", "unknown", "United States", "es"),
    "natural-cures.example": ("natural-cures.example", "low_credibility", "United States", "en"),
}
EVERYDAY = ("riverside-courier.example", "lakemont-gazette.example", "metro-daily.example",
            "health.state.example", "factcheck.example")
HEADLINES = (
    "{brand} names a new chief nursing officer",
    "Parking garage plans at {brand} go to the council",
    "{brand} extends weekend clinic hours",
    "Nurses at {brand} rally over staffing levels",
    "{brand} faces questions over surprise billing",
)
RATES = (1.0, 0.6, 0.4, 0.3)  # articles a day, the panel in order
SPIKES = ((0, 1, 8), (2, 0, 4))  # (brand index, days before N, extra articles): flagged spikes


@dataclass(frozen=True)
class Article:
    brands: tuple[int, ...]  # panel indexes of the brands it names
    day: date
    minute: int  # of the day, UTC
    domain: str
    headline: str  # with {brand} / {other} for the first two brands' names
    gdelt_tone: float | None
    compound: float
    matched_on: str = "alias"
    undated: bool = False


# the newest night's articles, each a case the table must show: (brands, UTC time, domain,
# headline, GDELT tone, VADER compound, match, undated)
NEWEST = (
    ((0,), "08:05", "riverside-courier.example", "Patients report long ER waits at {brand}", -5.0, -0.4215,
     "alias", False),
    ((0, 1), "10:30", "metro-daily.example", "{brand} and {other} open a joint cardiac unit", 3.0, 0.4404,
     "alias", False),
    ((0,), "12:00", "natural-cures.example", "The detox {brand} doesn't want you to try", -6.0, -0.0572,
     "alias", False),
    ((0,), "14:45", "noticiasdelvalle.example", "Largas esperas en urgencias de {brand}", None, 0.0,
     "alias", False),
    ((0,), "16:00", "lakemont-gazette.example", "County weighs hospital funding after budget hearing", -1.0,
     0.0, "query", False),
    ((1,), "00:00", "health.state.example", "Flu clinic hours this weekend at {brand}", None, 0.2023,
     "alias", True),  # an undated feed item: dated by the night's start
)


@dataclass(frozen=True)
class World:
    statements: tuple[str, ...]
    frames: dict[str, pd.DataFrame]


def _label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def _poisson(rng: random.Random, mean: float) -> int:
    threshold, k, p = math.exp(-mean), 0, rng.random()
    while p > threshold:
        k, p = k + 1, p * rng.random()
    return k


def _drawn(rng: random.Random, brand: int, day: date) -> Article:
    domain = "natural-cures.example" if rng.random() < 0.05 else rng.choice(EVERYDAY)
    tone = None if rng.random() < 0.3 else float(rng.randint(-8, 8))
    return Article((brand,), day, rng.randrange(24 * 60), domain, rng.choice(HEADLINES), tone,
                   round(rng.uniform(-0.8, 0.8), 4), "query" if rng.random() < 0.15 else "alias")


def articles(newest: date, brands: int, seed: int = SEED) -> list[Article]:
    """Every article: drawn history, the spikes, a quiet day, the newest night's cases."""
    rng = random.Random(seed)
    quiet = newest - timedelta(days=2)
    out = []
    for offset in range(HISTORY_DAYS - 1, 0, -1):
        day = newest - timedelta(days=offset)
        for brand in range(brands):
            count = _poisson(rng, RATES[brand % len(RATES)])
            out.extend(_drawn(rng, brand, day) for _ in range(0 if day == quiet else count))
    for brand, before, extra in SPIKES:
        out.extend(_drawn(rng, brand, newest - timedelta(days=before)) for _ in range(extra))
    return out + [Article(brands, newest, int(at[:2]) * 60 + int(at[3:]), *rest)
                  for brands, at, *rest in NEWEST]


def _key(article: Article, n: int) -> str:
    return "news:article:" + hashlib.sha256(f"{article.day}|{n}|{article.headline}".encode()).hexdigest()[:32]


def article_rows(items: list[Article], panel: list[tuple[str, str]], first_night: date) -> pd.DataFrame:
    """fct_news_articles: one row per article x brand it names."""
    rows = []
    for n, article in enumerate(items):
        post_key = _key(article, n)
        outlet, credibility, country, lang = OUTLETS[article.domain]
        names = [panel[i][1] for i in article.brands]
        headline = article.headline.format(brand=names[0], other=names[-1])
        published = datetime.combine(article.day, time()) + timedelta(minutes=article.minute)
        slug = "-".join(headline.lower().replace("'", "").split())[:60]
        for index in article.brands:
            rows.append({
                "mention_key": f"{post_key}:{panel[index][0]}", "post_key": post_key,
                "brand_id": panel[index][0], "mention_date": article.day, "published_at": published,
                "undated": article.undated, "outlet": outlet, "source_domain": article.domain,
                "source_credibility": credibility, "source_country": country, "lang": lang,
                "headline": headline, "article_url": f"https://{article.domain}/{article.day:%Y/%m/%d}/{slug}-{n}",
                "matched_on": article.matched_on, "gdelt_tone": article.gdelt_tone,
                "adjusted_compound": article.compound, "adjusted_label": _label(article.compound),
                "snapshot_date": max(article.day, first_night), "_run_id": RUN_ID})
    return pd.DataFrame(rows)


def mention_rows(news: pd.DataFrame, screened: bool = False) -> pd.DataFrame:
    """fct_mentions on the news platform: the same article x brand rows (no engagement); in a
    build with language detection and screening, each in its article's language, none excluded
    (the labels stay as drawn: the News page's cases are about outlets and tones)."""
    screening = ({"language": news.lang, "not_scored_reason": None, "is_excluded": False}
                 if screened else {})
    return pd.DataFrame({
        "mention_key": news.mention_key, "post_key": news.post_key, "brand_id": news.brand_id,
        "platform": "news", "mention_date": news.mention_date, "published_at": news.published_at,
        "author_key": "news:" + news.source_domain, "entity_type": "post", "matched_on": news.matched_on,
        "content_type": "link", "stock_compound": news.adjusted_compound, "stock_label": news.adjusted_label,
        "adjusted_compound": news.adjusted_compound, "adjusted_label": news.adjusted_label,
        "engagements": 0, "reach": 0, "is_owned": False, "snapshot_date": news.snapshot_date,
        "_run_id": RUN_ID, **screening})


def share_rows(news: pd.DataFrame, panel: list[tuple[str, str]], panel_version: str,
               screened: bool = False) -> pd.DataFrame:
    """fct_share_of_voice_daily on the news platform: every panel brand on each day with articles."""
    rows = []
    for day, today in news.groupby("mention_date"):
        weights = {b: ((1 + mine.adjusted_compound) / 2).sum() for b, mine in today.groupby("brand_id")}
        for brand, _ in panel:
            mine = today[today.brand_id == brand]
            labels = mine.adjusted_label.value_counts()
            pos, neu, neg = (int(labels.get(k, 0)) for k in ("positive", "neutral", "negative"))
            rows.append({
                "sov_key": f"{day}|news|{brand}", "mention_date": day, "platform": "news", "brand_id": brand,
                "panel_version": panel_version, "mentions": len(mine), "engagements": 0, "reach": 0,
                "positive_mentions": pos, "neutral_mentions": neu, "negative_mentions": neg,
                "net_sentiment": (pos - neg) / (pos + neg) if pos + neg else None,
                "mention_sov": len(mine) / len(today), "engagement_sov": None, "reach_sov": None,
                "sentiment_weighted_sov": weights.get(brand, 0.0) / sum(weights.values()),
                "panel_mentions": len(today), "panel_engagements": 0, "panel_reach": 0,
                **({"not_scored_mentions": 0, "excluded_mentions": 0} if screened else {})})
    return pd.DataFrame(rows)


def alert_rows(news: pd.DataFrame, panel: list[tuple[str, str]], nights: list[date],
               spikes: set[tuple[str, date]], settings: dict) -> pd.DataFrame:
    """fct_sentiment_alerts_daily on the news platform: each extracted night x panel brand, the
    day's articles against the 14 days before; the spikes flagged."""
    counts = news.groupby(["brand_id", "mention_date"]).size()
    rows = []
    for night in nights:
        for brand, _ in panel:
            window = [int(counts.get((brand, night - timedelta(days=d)), 0))
                      for d in range(1, BASELINE_DAYS + 1)]
            mean = sum(window) / len(window)
            spread = math.sqrt(sum((x - mean) ** 2 for x in window) / (len(window) - 1))
            today = int(counts.get((brand, night), 0))
            spike = (brand, night) in spikes
            rows.append({
                "sentiment_day_key": f"{brand}:news:{night}", "date_day": night, "brand_id": brand,
                "platform": "news", "mentions": today, "baseline_days": BASELINE_DAYS,
                "baseline_news_articles": round(mean, 4),
                "news_volume_z": round((today - mean) / spread, 4) if spread else None,
                "is_alert": spike, "alert_kind": "news_spike" if spike else None, **settings})
    return pd.DataFrame(rows)


def build(newest: date, panel: list[tuple[str, str]], panel_version: str, settings: dict,
          screened: bool = False) -> World:
    """The news rows for a world whose extracted nights end at `newest` (the night before too);
    `screened`: the build has language detection and screening columns to fill."""
    nights = [newest - timedelta(days=1), newest]
    news = article_rows(articles(newest, len(panel)), panel, nights[0])
    spikes = {(panel[brand][0], newest - timedelta(days=before)) for brand, before, _ in SPIKES}
    frames = {"fct_news_articles": news, "fct_mentions": mention_rows(news, screened),
              "fct_share_of_voice_daily": share_rows(news, panel, panel_version, screened),
              "fct_sentiment_alerts_daily": alert_rows(news, panel, nights, spikes, settings)}
    statements = ("delete from marts.fct_news_articles",
                  *(f"delete from marts.{table} where platform = 'news'" for table in list(frames)[1:]))
    return World(statements, frames)
