"""Simulated news: the articles local outlets and the wider web publish about the brands, per day.

A day's articles are a pure function of (seed, config, day): about 5-15 stories across the
brands of the config (the organisation's share largest, some stories naming no brand, a few
in Spanish), plus now and then a press release in the organisation's own newsroom. Every
`spike_every`-th day (`is_spike`) the organisation gets `spike_factor` times its usual
coverage. Misinformation sites (world.MISINFO_DOMAINS) write about the brands too.

One article is served in two places, spelled differently on purpose: its outlet's feed (the
last FEED_SIZE items, so an item stays in the feed for several nights; the link sometimes
with `?utm_source=rss`) and GDELT's article search (the url sometimes on an `m.` or `www.`
host), so only the canonical link makes them one article. GDELT misses a few feed items and
never sees a feed's link-less briefs; it sees an article a quarter hour or more after it was
published (`seendate` is on quarter hours). Everything an article is spelled with comes from
its hash `h`: the quirk bits below.
"""

from __future__ import annotations

import random
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

from carepulse.config import Brand, MonitoringConfig
from extract.simulator.world import DAY_MS, EPOCH, MISINFO_DOMAINS, date_of, stable_seed

FEED_SIZE = 20
QUARTER_MS = 900_000
SEARCH_DAYS = 90  # GDELT searches the last three months
LOOKBACK_DAYS = 60  # how far back a feed looks for its last FEED_SIZE items
ORG_SHARE, RIVALS_SHARE = 0.40, 0.45  # of a day's stories; the rest name no brand
# how an article is spelled, drawn per article: quirk -> chance
QUIRKS = {
    "no_guid": 0.25,  # RSS item without <guid>
    "no_date": 0.15,  # RSS item without <pubDate>
    "no_link": 0.12,  # a gazette brief: no <link> (and so never in GDELT)
    "utm": 0.35,  # the feed's link carries ?utm_source=rss
    "m_host": 0.15,  # GDELT's url on the m. host
    "www_host": 0.15,  # GDELT's url on the www. host
    "mobile_alt": 0.30,  # GDELT fills url_mobile
    "cdata": 0.50,  # RSS description in CDATA (else escaped HTML)
    "escaped_apostrophe": 0.50,  # GDELT writes ' as \' in the title
    "raw_tab": 0.05,  # GDELT leaves a raw tab in the title
    "unseen": 0.10,  # GDELT never saw this feed item
    "atom_published": 0.35,  # the Atom entry has <published> besides <updated>
    "image": 0.70,  # GDELT has a socialimage
}
DATE_FORMS = 4  # RFC 822 spellings of a pubDate (platforms/news.py)


@dataclass(frozen=True)
class Outlet:
    domain: str
    name: str
    weight: float = 1.0  # share of the day's stories
    language: str = "English"  # GDELT's name for it
    feed: str | None = None  # served at /news/feeds/<feed>
    misinfo: bool = False


OUTLETS = (
    Outlet("lakemont-gazette.example", "Lakemont Gazette", 3.0, feed="lakemont-gazette.xml"),
    Outlet("valleyhealthdesk.example", "Valley Health Desk", 2.0, feed="valley-health.atom"),
    Outlet("riverside-courier.example", "Riverside Courier", 2.0),
    Outlet("statehealthwire.example", "State Health Wire", 2.0),
    Outlet("metro-daily.example", "Metro Daily", 1.5),
    Outlet("noticiasdelvalle.example", "Noticias del Valle", 1.0, language="Spanish"),
    *(Outlet(d, d.split(".")[0].replace("-", " ").title(), 0.3, misinfo=True) for d in MISINFO_DOMAINS),
)
NEWSROOM = Outlet("lakemont.example", "Lakemont Health Newsroom", 0.0, feed="lakemont-newsroom.xml")
FEED_OUTLETS = {o.feed: o for o in (*OUTLETS, NEWSROOM) if o.feed}
DEPARTMENTS = ("maternity", "cardiac", "pediatric", "oncology", "emergency", "orthopedic")
REPORTERS = ("Dana Whitfield", "Marcus Oyelaran", "Elena Ruiz", "Sam Kowalski", "Priya Natarajan")

# (title, summary HTML, tone): {name} the brand (or an alias), {dept}, {n} a number
POSITIVE = (
    ("{name} opens new {dept} wing", "<p>The new wing at <b>{name}</b> adds {n} beds &amp; a "
     "family lounge, officials said.</p>", 4.0),
    ("{name} nurses honored with state award", "<p>Nurses in the {dept} unit of {name} received "
     "the state&#8217;s top recognition &mdash; the {n}th in the region.</p>", 5.0),
    ("Flu clinic at {name} draws record crowds", "<p>More than {n}0 people lined up for shots "
     "at {name}&nbsp;on Saturday.</p>", 3.0),
    ("{name}'s {dept} team ranked among the region's best", "<p>A survey of {n} hospitals puts "
     "{name} near the top.</p>", 4.0),
)
NEGATIVE = (
    ("Patients report long ER waits at {name}", "<p>Some waited more than {n} hours, according "
     "to complaints reviewed by the paper.</p>", -4.0),
    ("{name} faces questions over surprise billing", "<p>Families say bills from {name} arrived "
     "months late &amp; listed {n} unexplained charges.</p>", -5.0),
    ("Nurses at {name} rally over staffing levels", "<p>About {n}0 nurses from the {dept} floor "
     "gathered outside <i>{name}</i>.</p>", -3.0),
)
NEUTRAL = (
    ("{name} names new chief medical officer", "<p>The appointment follows a {n}-month "
     "search.</p>", 0.5),
    ("{name} and county discuss {dept} clinic parking", "<p>A plan for {n}0 new spaces goes to "
     "the council.</p>", 0.0),
)
SPANISH = (
    ("{name} abre una nueva clínica {dept}", "<p>La nueva clínica de {name} atenderá a {n}00 "
     "familias.</p>", 3.0),
    ("Largas esperas en urgencias de {name}", "<p>Pacientes esperaron más de {n} horas, "
     "según quejas.</p>", -4.0),
)
MISINFO = (
    ("What {name} won't tell you about flu shots", "<p>Doctors at {name} are hiding the truth "
     "about vitamin C &amp; garlic&hellip;</p>", -7.0),
    ("The detox {name} doesn't want you to try", "<p>{n} readers say it works better than "
     "anything at {name}.</p>", -6.0),
)
PRESS = (
    ("{name} welcomes {n} new residents to its {dept} program", "<p>The residents begin "
     "rotations this month.</p>", 3.0),
    ("{name} statement on winter visiting hours", "<p>Visiting hours change for {n} "
     "weeks to protect patients.</p>", 0.0),
    ("{name} earns top safety grade", "<p>The grade covers {n} measures of patient safety "
     "&amp; quality.</p>", 5.0),
)
GENERIC = (
    ("County urges residents to get flu shots before the holidays", "<p>Clinics expect {n}0 "
     "visits a day.</p>", 1.0),
    ("Regional hospitals brace for a busy respiratory season", "<p>Emergency departments "
     "report {n}% more visits than last year.</p>", -1.0),
)
SPANISH_GENERIC = (
    ("El condado pide vacunarse contra la gripe", "<p>Las clínicas esperan {n}0 visitas "
     "al día.</p>", 1.0),
)


@dataclass(frozen=True)
class Article:
    """One story as its outlet published it."""

    key: str  # stable: <day>-<index>
    outlet: Outlet
    brand_id: str | None  # the brand it is about (None: no brand, or only an excluded name)
    title: str
    summary: str  # HTML
    language: str  # GDELT's name: English, Spanish
    published_ms: int
    seen_ms: int  # when GDELT saw it (a quarter hour)
    path: str  # /2026/12/05/slug-12345
    tone: float
    quirks: frozenset[str]
    date_form: int

    def has(self, quirk: str) -> bool:
        return quirk in self.quirks

    @property
    def url(self) -> str:
        """The canonical link."""
        return f"https://{self.outlet.domain}{self.path}"

    @property
    def in_gdelt(self) -> bool:
        return not self.has("unseen") and not self.has("no_link")

    @property
    def text(self) -> str:
        """What GDELT searches: the title and the summary's text."""
        return f"{self.title} {re.sub(r'<[^>]*>', ' ', self.summary)}"


class NewsWorld:
    """Every outlet's articles, day by day, for the brands of `config`."""

    def __init__(self, config: MonitoringConfig, *, seed: int = 7, per_day: tuple[int, int] = (5, 15),
                 spike_every: int = 10, spike_factor: int = 5):
        self.config = config
        self.seed = seed
        self.per_day = per_day
        self.spike_every = spike_every
        self.spike_factor = spike_factor
        self._days: OrderedDict[int, list[Article]] = OrderedDict()
        self._lock = threading.Lock()

    # -- which days -------------------------------------------------------------------------

    def is_spike(self, day: date | int) -> bool:
        """A news spike: the organisation gets spike_factor times its usual coverage."""
        number = day if isinstance(day, int) else (day - EPOCH).days
        return (number + self.seed) % self.spike_every == 0

    def spike_days(self, start: date, end: date) -> list[date]:
        """The spike days from start to end inclusive."""
        return [d for d in (start + timedelta(days=i) for i in range((end - start).days + 1))
                if self.is_spike(d)]

    # -- articles ---------------------------------------------------------------------------

    def day(self, day: int) -> list[Article]:
        """The articles published on `day` (days since 1970-01-01), oldest first."""
        with self._lock:
            found = self._days.get(day)
            if found is not None:
                self._days.move_to_end(day)
                return found
        made = self._make_day(day)
        with self._lock:
            self._days[day] = made
            while len(self._days) > 256:
                self._days.popitem(last=False)
        return made

    def published(self, start_ms: int, end_ms: int) -> list[Article]:
        """Articles published in [start_ms, end_ms), oldest first."""
        days = range(start_ms // DAY_MS, (end_ms - 1) // DAY_MS + 1)
        return [a for d in days for a in self.day(d) if start_ms <= a.published_ms < end_ms]

    def seen(self, start_ms: int, end_ms: int, now_ms: int) -> list[Article]:
        """What GDELT saw in [start_ms, end_ms] (inclusive), inside its three months, by now."""
        start_ms = max(start_ms, now_ms - SEARCH_DAYS * DAY_MS)
        end_ms = min(end_ms, now_ms)
        if start_ms > end_ms:
            return []
        days = range((start_ms - DAY_MS) // DAY_MS, end_ms // DAY_MS + 1)  # seen after publishing
        return [a for d in days for a in self.day(d)
                if a.in_gdelt and start_ms <= a.seen_ms <= end_ms]

    def feed(self, outlet: Outlet, now_ms: int, size: int = FEED_SIZE) -> list[Article]:
        """The outlet's feed at now_ms: its last `size` articles, newest first."""
        out: list[Article] = []
        for day in range(now_ms // DAY_MS, now_ms // DAY_MS - LOOKBACK_DAYS, -1):
            mine = [a for a in self.day(day) if a.outlet == outlet and a.published_ms <= now_ms]
            out += sorted(mine, key=lambda a: (-a.published_ms, a.key))
            if len(out) >= size:
                break
        return out[:size]

    def brand_articles(self, day: int, brand_id: str) -> list[Article]:
        return [a for a in self.day(day) if a.brand_id == brand_id]

    # -- generation -------------------------------------------------------------------------

    def _make_day(self, day: int) -> list[Article]:
        rng = random.Random(stable_seed(self.seed, "news", day))
        org = self.config.organisation
        about = [self._pick_brand(rng) for _ in range(rng.randint(*self.per_day))]
        if self.is_spike(day):  # on top of the day's draw: (factor - 1) usual days of coverage
            usual = sum(self.per_day) / 2 * ORG_SHARE
            about += [org] * round((self.spike_factor - 1) * usual)
        stories = [self._story(rng, day, i, brand) for i, brand in enumerate(about)]
        releases = 1 + self.is_spike(day) if rng.random() < 0.5 or self.is_spike(day) else 0
        stories += [self._release(rng, day, len(stories) + i) for i in range(releases)]
        return sorted(stories, key=lambda a: (a.published_ms, a.key))

    def _pick_brand(self, rng: random.Random) -> Brand | None:
        """The organisation 40%, the competitors 45% between them, no brand 15%."""
        competitors = self.config.brands[1:]
        roll = rng.random()
        if roll < ORG_SHARE:
            return self.config.organisation
        if roll < ORG_SHARE + RIVALS_SHARE and competitors:
            return competitors[int((roll - ORG_SHARE) / RIVALS_SHARE * len(competitors))]
        return None

    def _story(self, rng: random.Random, day: int, i: int, brand: Brand | None) -> Article:
        outlet = rng.choices(OUTLETS, [o.weight for o in OUTLETS])[0]
        spanish = outlet.language == "Spanish" or (outlet.feed is not None and rng.random() < 0.08)
        if outlet.misinfo and brand is not None:
            templates = MISINFO
        elif brand is None:
            templates = SPANISH_GENERIC if spanish else GENERIC + self._excluded()
        else:
            templates = SPANISH if spanish else rng.choice((POSITIVE, NEGATIVE, NEUTRAL))
        return self._article(rng, day, i, outlet, brand, rng.choice(templates),
                             "Spanish" if spanish else "English")

    def _release(self, rng: random.Random, day: int, i: int) -> Article:
        return self._article(rng, day, i, NEWSROOM, self.config.organisation, rng.choice(PRESS),
                             "English")

    def _excluded(self) -> tuple[tuple[str, str, float], ...]:
        """A story about a name the organisation excludes, next to one of its own names: the
        brand's search must leave it out."""
        org = self.config.organisation
        if not org.exclude:
            return ()
        near = org.aliases[0] if org.aliases else org.name
        return ((f"{org.exclude[0]} plans condos near {near}", "<p>{n} units are planned.</p>", 0.0),)

    def _article(self, rng: random.Random, day: int, i: int, outlet: Outlet, brand: Brand | None,
                 template: tuple[str, str, float], language: str) -> Article:
        name = "" if brand is None else brand.name if rng.random() < 0.7 else rng.choice(brand.terms)
        fill = {"name": name, "dept": rng.choice(DEPARTMENTS), "n": rng.randint(2, 99)}
        title, summary = template[0].format(**fill), template[1].format(**fill)
        published = day * DAY_MS + rng.randrange(DAY_MS)
        seen = -(-(published + rng.randrange(5, 90) * 60_000) // QUARTER_MS) * QUARTER_MS
        quirks = frozenset(q for q, chance in QUIRKS.items() if rng.random() < chance
                           and _possible(outlet, q))
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        folder = "/newsroom" if outlet is NEWSROOM else ""
        path = f"{folder}/{date_of(day):%Y/%m/%d}/{slug}-{rng.randrange(10_000, 100_000)}"
        return Article(f"{day}-{i}", outlet, brand.id if brand else None, title, summary, language,
                       published, seen, path, template[2] + rng.uniform(-1.5, 1.5), quirks,
                       rng.randrange(DATE_FORMS))


def _possible(outlet: Outlet, quirk: str) -> bool:
    """Only the gazette writes link-less briefs; only a feed's item can be missed by GDELT
    (a site without a feed is known here only through GDELT)."""
    if quirk == "no_link":
        return outlet.feed == "lakemont-gazette.xml"
    return quirk != "unseen" or outlet.feed is not None


def tone_bin(article: Article) -> int:
    """GDELT's ToneChart bin: the tone rounded, -10..10."""
    return max(-10, min(10, round(article.tone)))
