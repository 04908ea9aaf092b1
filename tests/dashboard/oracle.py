"""What the dashboard should show, worked out straight from the published warehouse.

The tests' own SQL, written independently of dashboard.data: volumes and shares from
fct_mentions row by row rather than from the share-of-voice mart the dashboard sums, the
latest snapshot per post with arg_max rather than a window, and so on. Both the AppTest
tests and the browser test compare the rendered page with these figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from carepulse import sources
from dashboard import format as fmt

NEWS = [name for name, source in sources.SOURCES.items() if source.reach == "news"]


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def params(self) -> dict:
        return {"start": self.start, "end": self.end}


class Oracle:
    """Read-only questions to one published warehouse file."""

    def __init__(self, home: Path) -> None:
        self.path = home / "warehouse" / "carepulse.duckdb"

    def rows(self, sql: str, **params) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def one(self, sql: str, **params):
        return self.rows(sql, **params)[0][0]

    # -- the defaults the sidebar should pick ---------------------------------------------------

    def default_period(self) -> Period:
        """The last 7 days up to the newest extracted night, clipped to the data."""
        end = self.one("select max(night) from marts.fct_data_health_nightly")
        first = self.one("select min(date_day) from marts.dim_dates where not is_unknown")
        return Period(max(end - timedelta(days=6), first), end)

    def organisation(self) -> str:
        return self.one("select brand_id from marts.dim_brands where is_organisation")

    def brand_name(self, brand: str) -> str:
        return self.one("select brand_name from marts.dim_brands where brand_id = $b", b=brand)

    def panel(self) -> list[tuple[str, str]]:
        return self.rows("select brand_id, brand_name from marts.dim_brands where is_panel_member "
                         "order by brand_order")

    def platform_names(self, social: bool = True) -> dict[str, str]:
        """The platforms the sidebar offers (social sources), or every one."""
        rows = self.rows("select platform, platform_name from marts.dim_platforms where not is_unknown")
        return {p: n for p, n in rows if not social or p in sources.SOCIAL}

    # -- mentions, shares and sentiment from fct_mentions ---------------------------------------

    def screened(self) -> bool:
        """fct_mentions has a language and a screening verdict (builds since language detection)."""
        return self.one("select count(*) from information_schema.columns where table_schema = 'marts' "
                        "and table_name = 'fct_mentions' and column_name in ('language', 'is_excluded')") == 2

    def brand_mentions(self, period: Period, brand: str, platforms: list[str] | None = None,
                       languages: list[str] | None = None) -> dict:
        """Mentions (independent voices: those screened out apart), engagements and adjusted-label
        counts of one brand, row by row; optionally in some languages only."""
        platforms = platforms or list(self.platform_names())
        screened = self.screened()
        excluded = "is_excluded" if screened else "false"
        language = "language in (select unnest($languages))" if languages else "true"
        count, engagements, positive, negative, not_scored, dropped = self.rows(
            f"select count(*) filter (where not {excluded}), "
            f"coalesce(sum(engagements) filter (where not {excluded}), 0), "
            f"count(*) filter (where not {excluded} and adjusted_label = 'positive'), "
            f"count(*) filter (where not {excluded} and adjusted_label = 'negative'), "
            f"count(*) filter (where not {excluded} and adjusted_label = 'not_scored'), "
            f"count(*) filter (where {excluded}) "
            "from marts.fct_mentions where brand_id = $brand and mention_date between $start and $end "
            f"and platform in (select unnest($platforms)) and {language}",
            brand=brand, platforms=platforms, **({"languages": languages} if languages else {}),
            **period.params)[0]
        net = (positive - negative) / (positive + negative) if positive + negative else None
        return {"mentions": count, "engagements": engagements, "positive": positive,
                "negative": negative, "net_sentiment": net, "not_scored": not_scored, "excluded": dropped}

    def shares(self, period: Period, measure: str = "1", platforms: list[str] | None = None,
               languages: list[str] | None = None) -> dict:
        """Each panel brand's share of sum(<measure>) over the panel's mentions (kept ones)."""
        platforms = platforms or list(self.platform_names())
        kept = "not m.is_excluded" if self.screened() else "true"
        language = "m.language in (select unnest($languages))" if languages else "true"
        rows = self.rows(
            f"select m.brand_id, sum({measure})::double from marts.fct_mentions m "
            "join marts.dim_brands b on b.brand_id = m.brand_id and b.is_panel_member "
            "where m.mention_date between $start and $end and m.platform in (select unnest($platforms)) "
            f"and {kept} and {language} group by m.brand_id", platforms=platforms,
            **({"languages": languages} if languages else {}), **period.params)
        total = sum(value for _, value in rows)
        return {brand: value / total for brand, value in rows} if total else {}

    def alert_days(self, period: Period, brand: str) -> int:
        """Days of the brand's cross-platform alerts and of its news spikes (which the alert
        mart judges on the news platform's row only)."""
        return self.one("select count(distinct date_day) from marts.fct_sentiment_alerts_daily "
                        "where brand_id = $brand and is_alert and date_day between $start and $end "
                        "and (platform = 'all' or (platform in (select unnest($news)) "
                        "and alert_kind = 'news_spike'))", brand=brand, news=NEWS, **period.params)

    # -- engagement ------------------------------------------------------------------------------

    def owned_posts(self, period: Period, brand: str) -> dict[str, tuple[int, int]]:
        """platform -> (posts published in the period, engagements at their latest snapshot)."""
        rows = self.rows(
            "select platform, count(*), sum(latest) from ("
            "  select platform, post_key, arg_max(engagements, snapshot_date) as latest "
            "  from marts.fct_post_engagement_daily where brand_id = $brand and entity_type = 'post' "
            "  and published_date between $start and $end "
            "  group by platform, post_key) group by platform", brand=brand, **period.params)
        return {platform: (posts, int(engagements)) for platform, posts, engagements in rows}

    # -- the headline figures of each page, as the page prints them ----------------------------

    def headline(self, page: str, period: Period, brand: str) -> dict[str, str]:
        """label -> value of the metrics a page shows first, for the default sidebar."""
        return getattr(self, f"_headline_{page}")(period, brand)

    def _headline_overview(self, period: Period, brand: str) -> dict[str, str]:
        mine, news = self.brand_mentions(period, brand), self.news_figures(period, brand)
        return {"Mentions": fmt.count(mine["mentions"]),
                "Engagements on mentions": fmt.count(mine["engagements"]),
                "Net sentiment": fmt.signed(mine["net_sentiment"]),
                "Share of voice (mentions)": fmt.percent(self.shares(period).get(brand)),
                "News articles": fmt.count(news["articles"]),
                "News share of voice": fmt.percent(news["share"]),
                "News spike days": fmt.count(news["spike_days"])}

    def _headline_share_of_voice(self, period: Period, brand: str) -> dict[str, str]:
        shares = self.shares(period)
        return {name: fmt.percent(shares.get(brand_id, 0.0)) for brand_id, name in self.panel()}

    def _headline_sentiment(self, period: Period, brand: str) -> dict[str, str]:
        mine = self.brand_mentions(period, brand)
        return {"Net sentiment": fmt.signed(mine["net_sentiment"]),
                "Positive mentions": fmt.count(mine["positive"]),
                "Negative mentions": fmt.count(mine["negative"]),
                "Alert days": fmt.count(self.alert_days(period, brand))}

    def _headline_engagement(self, period: Period, brand: str) -> dict[str, str]:
        posts = self.owned_posts(period, brand).values()
        return {"Posts published": fmt.count(sum(p for p, _ in posts)),
                "Engagements": fmt.count(sum(e for _, e in posts))}

    def _headline_campaigns(self, period: Period, brand: str) -> dict[str, str]:
        running, ugc = self.rows(
            "select count(distinct campaign_id), sum(user_generated_mentions) "
            "from marts.fct_campaign_performance_daily where date_day between $start and $end",
            **period.params)[0]
        return {"Campaigns running": fmt.count(running), "User-generated posts": fmt.count(ugc)}

    def _headline_community(self, period: Period, brand: str) -> dict[str, str]:
        items, still_open, median = self.rows(
            "select count(*), count(*) filter (where not is_answered), "
            "median(response_minutes) filter (where is_answered) from marts.fct_patient_questions "
            "where brand_id = $brand and asked_date between $start and $end", brand=brand,
            **period.params)[0]
        return {"Questions and complaints": fmt.count(items), "Still open": fmt.count(still_open),
                "Median response time": fmt.duration(median)}

    def _headline_misinformation(self, period: Period, brand: str) -> dict[str, str]:
        items, high, about_brand = self.rows(
            "select count(*), count(*) filter (where risk_level = 'high'), "
            "count(*) filter (where list_contains(brand_ids, $brand)) "
            "from marts.fct_misinformation_watch where published_date between $start and $end",
            brand=brand, **period.params)[0]
        return {"Claims to review": fmt.count(items), "High risk": fmt.count(high),
                f"Mentioning {self.brand_name(brand)}": fmt.count(about_brand)}

    # -- reviews and reputation (fct_reviews row by row, replies joined by key) ------------------

    def review_figures(self, period: Period, brand: str) -> dict:
        """The period's reviews of the brand: count, mean stars, replies standing, reply times
        (every first reply) and the 1-2 star reviews without a reply up to the period's end."""
        reviews, mean, replied = self.rows(
            "select count(*), avg(star_rating), count(*) filter (where has_reply) from marts.fct_reviews "
            "where brand_id = $brand and created_date between $start and $end",
            brand=brand, **period.params)[0]
        timed = self.rows(
            "select median(hours_to_reply), median(hours_to_reply_min), median(hours_to_reply_max), "
            "count(*) filter (where answered_within_7d), count(*) filter (where hours_to_reply_max <= 168), "
            "count(*) filter (where hours_to_reply_min <= 168) from marts.fct_review_replies "
            "where review_key in (select review_key from marts.fct_reviews where brand_id = $brand "
            "and created_date between $start and $end)", brand=brand, **period.params)[0]
        waiting = self.one(
            "select count(*) from marts.fct_reviews where brand_id = $brand and star_rating in (1, 2) "
            "and has_reply is false and created_date <= $end", brand=brand, end=period.end)

        def share(n: int) -> float | None:
            return n / reviews if reviews else None

        return {"reviews": reviews, "average_rating": mean, "replied_share": share(replied),
                "median": timed[0], "median_min": timed[1], "median_max": timed[2],
                "within": share(timed[3]), "within_certain": share(timed[4]),
                "within_possible": share(timed[5]), "unanswered_negative": waiting}

    def _headline_reviews(self, period: Period, brand: str) -> dict[str, str]:
        mine = self.review_figures(period, brand)
        return {"Reviews": fmt.count(mine["reviews"]), "Average rating": fmt.rating(mine["average_rating"]),
                "Replied": fmt.percent(mine["replied_share"]),
                "Median time to reply": fmt.hours(mine["median"]),
                "Answered within 7 days": fmt.percent(mine["within"]),
                "Negative, unanswered": fmt.count(mine["unanswered_negative"])}

    # -- news (articles from fct_mentions row by row; outlets and credibility from the article mart)

    def news_counts(self, period: Period) -> dict[tuple[str, object], int]:
        """(brand_id, day) -> the panel brand's articles that day."""
        return {(brand, day): n for brand, day, n in self.rows(
            "select m.brand_id, m.mention_date, count(*) from marts.fct_mentions m "
            "join marts.dim_brands b on b.brand_id = m.brand_id and b.is_panel_member "
            "where m.platform in (select unnest($news)) and m.mention_date between $start and $end "
            "group by all", news=NEWS, **period.params)}

    def news_figures(self, period: Period, brand: str) -> dict:
        counts = self.news_counts(period)
        articles = sum(n for (b, _), n in counts.items() if b == brand)
        total = sum(counts.values())
        outlets, low = self.rows(
            "select count(distinct outlet), count(distinct post_key) filter "
            "(where source_credibility = 'low_credibility') from marts.fct_news_articles "
            "where brand_id = $brand and mention_date between $start and $end",
            brand=brand, **period.params)[0]
        spikes = self.one(
            "select count(distinct date_day) from marts.fct_sentiment_alerts_daily where brand_id = $brand "
            "and platform in (select unnest($news)) and is_alert and alert_kind = 'news_spike' "
            "and date_day between $start and $end", brand=brand, news=NEWS, **period.params)
        return {"articles": articles, "share": articles / total if total else None, "outlets": outlets,
                "low_credibility": low, "spike_days": spikes}

    def _headline_news(self, period: Period, brand: str) -> dict[str, str]:
        news = self.news_figures(period, brand)
        return {"Articles": fmt.count(news["articles"]), "News share of voice": fmt.percent(news["share"]),
                "Outlets": fmt.count(news["outlets"]),
                "Low-credibility articles": fmt.count(news["low_credibility"]),
                "News spike days": fmt.count(news["spike_days"])}

    # -- patient-experience aspects (fct_mention_aspects row by row) -----------------------------

    def aspect_counts(self, period: Period, brand: str, location: str = "all") -> dict[str, dict]:
        """aspect_id -> positive / negative / neutral kept occurrences of the brand (at one
        site, or every source)."""
        rows = self.rows(
            "select aspect_id, polarity, count(*) from marts.fct_mention_aspects where brand_id = $b "
            "and mention_date between $start and $end and not is_excluded "
            "and ($loc = 'all' or location_id = $loc) group by all", b=brand, loc=location, **period.params)
        out: dict[str, dict] = {}
        for aspect, polarity, count in rows:
            out.setdefault(aspect, {"positive": 0, "negative": 0, "neutral": 0})[polarity] = count
        return out

    def _headline_aspects(self, period: Period, brand: str) -> dict[str, str]:
        counts = self.aspect_counts(period, brand)
        names = dict(self.rows("select aspect_id, aspect_name from marts.dim_aspects"))
        totals = {aspect: sum(c.values()) for aspect, c in counts.items()}
        top = min(totals, key=lambda a: (-totals[a], names[a])) if totals else None
        positive = sum(c["positive"] for c in counts.values())
        negative = sum(c["negative"] for c in counts.values())
        spiking = self.one("select count(distinct aspect_id) from marts.fct_aspect_sentiment_daily "
                           "where brand_id = $b and location_id = 'all' and is_spike "
                           "and activity_date between $start and $end", b=brand, **period.params)
        net = (positive - negative) / (positive + negative) if positive + negative else None
        return {"Aspect mentions": fmt.count(sum(totals.values())),
                "Net sentiment on aspects": fmt.signed(net),
                "Most discussed": names[top] if top else fmt.MISSING,
                "Aspects with a spike": fmt.count(spiking)}
