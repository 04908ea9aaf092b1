"""The simulated social world: authors, posts, comments and engagement, all deterministic.

Everything is a pure function of (seed, config, mentions_per_night, spam) and the day asked
for.
A platform's posts for one UTC day are generated lazily from `random.Random` seeded with
(seed, platform, day, stream) and kept in a small LRU, so a night of 100k mentions costs a
second or two and only the days a client actually reads are ever built.

Two streams per (platform, day):
  - "owned": the organisation's and competitors' own posts, plus the patient questions the
    owned accounts answer (tiny, so account lookups never build the big stream);
  - "mentions": the public chatter (brand and topic mentions), plus on x, bluesky and mastodon
    the planted inauthentic activity (below).

Every post has an integer `key` = (ms << 12) | low, unique per platform and increasing with
time, with `low` always even. Platform ids (X/Mastodon snowflakes, Reddit base36, Bluesky
TIDs) are bijections of the key, so a cursor can name any position "strictly older than
key T", and an odd neighbour of T names the same position with a different spelling (used
by the empty-page fault so a client never sees the cursor it sent come back).

Engagement grows after posting: count(now) = final * (1 - exp(-age_hours / tau)).

Inauthentic activity (`spam=True`, the default) is planted so that screening can be tested
against ground truth (`World.planted`). On x, bluesky and mastodon, each aligned block of five
days holds one bot-burst day and one other copy-paste day: a burst is 15-30 near-copies of one
spam template about one brand, within 30 minutes, each from a distinct fresh bot account (pool
indices from BOT_BASE up, which natural posts never draw); a copy-paste campaign is 6-12
ordinary pool accounts posting near-copies of one advocacy text within 45 minutes. Planted
posts come from their own generators and take milliseconds no natural post holds, so the
natural posts of every day are the same with spam on or off.
"""

from __future__ import annotations

import gc
import hashlib
import math
import random
import re
import threading
import unicodedata
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from string import Formatter
from typing import TYPE_CHECKING, Any

from carepulse import sources
from carepulse.config import Brand, Campaign, MonitoringConfig, Topic

if TYPE_CHECKING:
    from extract.simulator.query import Searcher

PLATFORMS = sources.PUBLIC  # the publicly searchable sources (owned-only, news and reviews have their own)
SHARES = {"x": 0.35, "reddit": 0.20, "bluesky": 0.15, "mastodon": 0.15, "youtube": 0.15}
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
YEAR_MS = 365 * DAY_MS
KEY_SHIFT = 12
EPOCH = date(1970, 1, 1)
T_REF_MS = 1_767_225_600_000  # 2026-01-01: follower counts are anchored here
TWITTER_EPOCH_MS = 1_288_834_974_657
REDDIT_EPOCH_MS = 1_420_070_400_000  # 2015-01-01
MASTODON_INSTANCE = "mastodon.example"
MASTODON_REMOTES = ("fedi.example", "toot.example", "med.example", "social.example")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
B32 = "abcdefghijklmnopqrstuvwxyz234567"
B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
STREAM_MENTIONS, STREAM_OWNED = 0, 1
SPAM_PLATFORMS = ("x", "bluesky", "mastodon")  # the ones that serve account age and counts
BOT_BURST, COPY_PASTE = "bot_burst", "copy_paste"  # planted kinds, also the posts' `cat`
BOT_BASE = 100_000_000  # pool indices from here are bots: nine digits, like default handles
BOT_SLOTS = 32  # bot index = BOT_BASE + day * BOT_SLOTS + position in that day's burst
FLAG_COMMENTS_OFF, FLAG_LIKES_HIDDEN, FLAG_SENSITIVE = 1, 2, 4


# -- deterministic hashing and reversible id codecs ---------------------------------------


def stable_seed(*parts: object) -> int:
    """A 64-bit seed from any parts; unlike hash(), identical in every process."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def splitmix(x: int) -> int:
    """splitmix64 finaliser: fast, well-mixed 64 bits from an integer."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


_MULS = (0x9E3779B97F4A7C15F39CC0605CEDC835, 0xD1B54A32D192ED03AEF1B2E6A9B6B3C5)


def scramble(n: int, bits: int, salt: int) -> int:
    """A keyed bijection on [0, 2**bits): ids look random but decode exactly."""
    mask = (1 << bits) - 1
    shift = bits // 2 + 1
    for mul in _MULS:
        n = (n * (mul & mask | 1) + salt) & mask
        n ^= n >> shift
    return n


def unscramble(n: int, bits: int, salt: int) -> int:
    mask = (1 << bits) - 1
    shift = bits // 2 + 1
    for inverse in _inverses(bits):
        x = n
        for _ in range(bits // shift + 1):
            x = n ^ (x >> shift)
        n = ((x - salt) * inverse) & mask
    return n


@cache
def _inverses(bits: int) -> tuple[int, ...]:
    """The multipliers' inverses mod 2**bits, in unscramble order (pow() is slow)."""
    mask = (1 << bits) - 1
    return tuple(pow(mul & mask | 1, -1, 1 << bits) for mul in reversed(_MULS))


@lru_cache(maxsize=16)
def _digit_pairs(alphabet: str) -> tuple[int, list[str]] | None:
    """(bits per digit, every two-digit string) for a 32- or 64-letter alphabet."""
    if len(alphabet) not in (32, 64):
        return None
    return len(alphabet).bit_length() - 1, [a + b for a in alphabet for b in alphabet]


@lru_cache(maxsize=64)
def _pair_shifts(bits: int, length: int) -> range:
    return range(2 * bits * (length // 2 - 1), -1, -2 * bits)


def to_alphabet(n: int, length: int, alphabet: str) -> str:
    """The last `length` digits of n in base len(alphabet), most significant first."""
    pairs = _digit_pairs(alphabet) if n >= 0 else None
    if pairs is not None:  # power-of-two base: two digits per step, by shifting
        bits, table = pairs
        mask = (1 << 2 * bits) - 1
        head = alphabet[(n >> bits * (length - 1)) & (len(alphabet) - 1)] if length % 2 else ""
        return head + "".join([table[(n >> s) & mask] for s in _pair_shifts(bits, length)])
    base = len(alphabet)
    out = []
    for _ in range(length):
        n, r = divmod(n, base)
        out.append(alphabet[r])
    return "".join(reversed(out))


def from_alphabet(text: str, alphabet: str) -> int | None:
    base = len(alphabet)
    n = 0
    for ch in text:
        i = alphabet.find(ch)
        if i < 0:
            return None
        n = n * base + i
    return n


def base36(n: int) -> str:
    out = []
    while True:
        n, r = divmod(n, 36)
        out.append(B36[r])
        if not n:
            return "".join(reversed(out))


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def day_of(ms: int) -> int:
    return ms // DAY_MS


def day_number(d: date) -> int:
    return (d - EPOCH).days


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=day)


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def day_range(start: date, end: date) -> list[date]:
    """Every date from start to end inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# -- people -----------------------------------------------------------------------------------

FIRST = (
    "Maria", "James", "Aisha", "Wei", "José", "Olivia", "Noah", "Priya", "Liam", "Fatima",
    "Chloé", "Lukas", "Sofia", "Mateus", "Hannah", "Kenji", "Amara", "Diego", "Emma", "Ravi",
    "Zoë", "Omar", "Grace", "Mohammed", "Isabella", "Jonas", "Leila", "Ethan", "Camille", "Tomás",
    "Nia", "Ben", "Ana", "Samuel", "Yara", "Daniel", "Mei", "Lucas", "Ingrid", "Kofi",
)
LAST = (
    "Lopez", "Smith", "Khan", "Chen", "García", "Johnson", "Nguyen", "Patel", "Brown", "Okafor",
    "Dubois", "Müller", "Rossi", "Silva", "Cohen", "Tanaka", "Mensah", "Ramírez", "Wilson", "Iyer",
    "Martin", "Haddad", "Kim", "Schmidt", "Moreau", "Costa", "Novak", "Walker", "Ali", "Fischer",
)
FIRST_ASCII = tuple(ascii_fold(n) for n in FIRST)
LAST_ASCII = tuple(ascii_fold(n) for n in LAST)
BIO_PERSON = (
    "Mom of 2. Coffee first.", "Runner, reader, occasional baker.", "Just here for the memes",
    "Teacher. Dog person.", "Living with T1D, one day at a time", "Caregiver for my dad",
    "Local news junkie", "", "", "he/him", "she/her", "Opinions are mine",
)
BIO_CLINICIAN = (
    "ER nurse (RN). Views my own.", "Family physician, MD. Not medical advice.",
    "Clinical pharmacist | vaccines nerd", "Cardiologist | MD | opinions my own",
    "Pediatric RN, 12 yrs", "Emergency medicine MD", "Community pharmacist",
)
BIO_MICRO = (
    "Health & wellness creator", "Nurse life content", "Healthy recipes + real talk",
    "Patient advocate. Chronic illness warrior.", "Fitness coach | 10k strong",
)
BIO_MACRO = ("Health journalist", "Wellness creator, 1M+ across platforms", "TV doctor")
BIO_NEWS = ("Local news, weather and traffic", "Breaking health news", "Metro desk")
NEWS_NAMES = ("Metro Health Desk", "Lakeside Daily", "Channel 7 News", "Valley Gazette",
              "City Wire", "Health Beat")
# Bots: throwaway names, a handle stem plus nine digits (as sign-up forms suggest), no real bio.
BOT_STEMS = ("user", "promo", "deals", "daily", "info", "best", "win", "cash", "hlth", "vibe")
BOT_NAMES = ("Health Deals", "Daily Wellness", "Promo Hub", "Best Offers", "Wellness Tips",
             "Free Stuff Daily", "Giveaway Queen", "Deal Finder")
BIO_BOT = ("Follow for daily giveaways", "DM for promo", "", "Wellness | Deals | Lifestyle",
           "100% follow back", "Health tips & free stuff", "")


@dataclass(eq=False, slots=True)
class Author:
    """One account on one platform; pool accounts are rebuilt from (seed, platform, idx)."""

    platform: str
    idx: int
    kind: str  # person | clinician | micro | macro | news | owned | bot
    handle: str  # as the platform spells it (YouTube "@Name", Bluesky "x.bsky.social")
    name: str
    bio: str
    followers0: int  # followers at T_REF
    growth: float  # yearly relative follower growth
    following: int
    statuses0: int
    verified: bool
    verified_type: str  # X: blue | business | government | none
    created_ms: int
    lang: str
    brand_id: str | None = None  # owned accounts: the brand they belong to
    remote: str | None = None  # Mastodon: home instance of a remote account
    handle_lc: str = ""
    uid: str = ""  # the platform id, once `World.author_id` has computed it
    post_rate: float = 0.0  # bots: posts a day since created_ms, however young the account

    @property
    def owned(self) -> bool:
        return self.brand_id is not None

    def followers_at(self, ms: int) -> int:
        return max(0, int(self.followers0 * (1 + self.growth * (ms - T_REF_MS) / YEAR_MS)))

    def statuses_at(self, ms: int) -> int:
        if self.post_rate:  # a bot's count is its age times its rate, so posts/day stays high
            return max(1, int(self.post_rate * (ms - self.created_ms) / DAY_MS))
        return max(1, int(self.statuses0 * (1 + 0.3 * (ms - T_REF_MS) / YEAR_MS)))

    @property
    def first_name(self) -> str:
        return self.name.removeprefix("Dr. ").split(" ")[0]


# -- posts ------------------------------------------------------------------------------------


class Post:
    """A post (video, submission, status, skeet, tweet). Compact: a day can hold 300k."""

    __slots__ = (
        "author", "blob", "brands", "campaign", "cat", "ctype", "dur", "flags", "fol", "h",
        "idx", "key", "lang", "likes", "link", "phi", "platform", "reply_to", "stream", "sub",
        "tau", "text", "title", "topic", "views",
    )

    def __init__(self, platform: str, key: int, author: Author, text: str, title: str | None,
                 lang: str, ctype: str, link: str | None, cat: str, brands: tuple[str, ...],
                 topic: str | None, campaign: str | None, phi: tuple[str, ...]):
        self.platform = platform
        self.key = key
        self.author = author
        self.text = text
        self.title = title
        self.blob = text if title is None else f"{title}\n{text}"
        self.lang = lang
        self.ctype = ctype
        self.link = link
        self.cat = cat
        self.brands = brands
        self.topic = topic
        self.campaign = campaign
        self.phi = phi
        self.reply_to: Post | None = None
        self.sub: str | None = None
        self.dur = 0
        self.flags = 0
        self.stream = STREAM_MENTIONS
        self.idx = 0
        self.h = 0
        self.fol = 0
        self.likes = 0
        self.views = 0
        self.tau = 12.0

    @property
    def ms(self) -> int:
        return self.key >> KEY_SHIFT

    @property
    def low(self) -> int:
        return self.key & 0xFFF

    def __repr__(self) -> str:
        return f"Post({self.platform}, {self.key}, {self.blob[:40]!r})"


@dataclass
class Engagement:
    """Counts as of a moment; `views` is YouTube views / X impressions."""

    likes: int
    shares: int
    replies: int
    quotes: int
    bookmarks: int
    views: int


def growth(age_ms: int, tau_h: float) -> float:
    if age_ms <= 0:
        return 0.0
    return 1.0 - math.exp(-age_ms / (tau_h * HOUR_MS))


def engagement(post: Post, now_ms: int) -> Engagement:
    """Deterministic counts for `now`; shares/replies are fixed fractions of likes per post."""
    g = growth(now_ms - post.ms, post.tau)
    h = post.h
    likes = post.likes
    shares = likes * (0.04 + (h & 0xFF) / 255 * 0.25)
    replies = likes * (0.03 + ((h >> 8) & 0xFF) / 255 * 0.15)
    quotes = shares * (0.1 + ((h >> 16) & 0xFF) / 255 * 0.2)
    bookmarks = likes * ((h >> 24) & 0x3F) / 63 * 0.08
    return Engagement(int(likes * g), int(shares * g), int(replies * g), int(quotes * g),
                      int(bookmarks * g), int(post.views * g))


@dataclass(eq=False)
class Comment:
    """A YouTube comment (top-level or reply)."""

    id: str
    ms: int
    author: Author
    text: str
    likes: int
    phi: tuple[str, ...] = ()
    replies: list[Comment] = field(default_factory=list)
    parent: str | None = None


@dataclass(frozen=True)
class Planted:
    """Ground truth for one planted post (see `World.planted`).

    `post_id` is the id as the platform serves it: the X tweet id, the Mastodon status id,
    the Bluesky at:// uri. `group` names the burst or campaign (one per platform and day), so
    the posts sharing it are the cluster screening should find.
    """

    platform: str
    day: int
    kind: str  # bot_burst | copy_paste
    group: str
    brand_id: str
    key: int
    ms: int
    post_id: str
    author: Author
    author_id: str
    handle: str
    text: str


# -- content ----------------------------------------------------------------------------------

EMOJI = ("🙏", "❤️", "😡", "😷", "💉", "🏥", "👩‍⚕️", "😤", "🤒", "💙", "👏🏽", "🎉", "😢",
         "🤦‍♀️", "✨", "🙌", "😭", "👍")
EMOJI_POS = ("🙏", "❤️", "💙", "👏🏽", "🎉", "✨", "🙌", "👍", "👩‍⚕️")
EMOJI_NEG = ("😡", "😤", "🤦‍♀️", "😭", "😢", "🤒")
EMOJI_BY_CAT = {"praise": EMOJI_POS, "trap": EMOJI_POS, "campaign": EMOJI_POS,
                "complaint": EMOJI_NEG, "misinfo": EMOJI_NEG}
NEWS_SLUGS = ("expansion", "new-wing", "nursing-award", "hiring", "health-fair", "ranking",
              "cardiology", "pediatrics", "flu-clinic", "parking")
MISINFO_DOMAINS = ("natural-cures.example", "truth-health.example", "detox-now.example")
MISINFO_SLUGS = ("garlic-flu", "vaccine-chips", "silver-cure", "vitamin-c-cancer",
                 "what-they-hide")
SUBREDDITS = {
    "praise": ("Lakemont", "nursing", "healthcare", "Parenting"),
    "complaint": ("HealthInsurance", "mildlyinfuriating", "Lakemont", "personalfinance"),
    "question": ("AskDocs", "Lakemont", "HealthInsurance"),
    "news": ("news", "LocalNews", "Lakemont", "healthcare"),
    "misinfo": ("naturalremedies", "conspiracy"),
    "topic": ("AskDocs", "medicine", "HealthInsurance", "healthcare", "AskReddit"),
    "owned": ("Lakemont", "healthcare"),
}
REDDIT_DETAILS = (
    "Has anyone else had this happen?", "Edit: thanks everyone for the advice!",
    "Long time lurker, first post.", "Update: still no reply from them.",
    "Throwaway for obvious reasons.", "Not sure where else to post this.", "",
)
YOUTUBE_FOOTER = ("Subscribe for more health vlogs!", "Thanks for watching <3",
                  "Not medical advice. Talk to your doctor.", "Chapters below.")

EN: dict[str, tuple[str, ...]] = {
    "praise": (
        "Huge thanks to the nurses at {b} for taking such good care of my dad this week {e}",
        "{b} got me in and out of urgent care in under an hour. Impressed!",
        "Shoutout to the maternity team at {b}. Best experience we could have asked for {e}",
        "The new cardiology wing at {b} is beautiful & the staff are so kind",
        "Dr. Okafor at {b} actually listened to me. Rare these days {e}",
        "Five stars for the physical therapy crew at {b}, I'm walking again!",
        "Love the nurses at {b} <3 they made a scary night bearable",
    ),
    "complaint": (
        "Waited {n} hours in the ER at {b} last night. {n} hours. {e}",
        "{b} billed me twice for the same MRI and nobody answers the billing line",
        "The front desk staff at {b} were so rude to my elderly mother today {e}",
        "Got a ${amt} bill from {b} for a visit my insurance already covered. Billing error?",
        "Parking at {b} is $28 a day. For patients. Come on.",
        "{b} cancelled my surgery the night before with no explanation {e}",
        "On hold with {b} scheduling for 55 minutes & counting...",
        "ER wait at {b} was > {n} hours with a broken wrist. Rude staff too.",
    ),
    "news": (
        "{b} announces expansion of its pediatric unit, opening spring 2027 {link}",
        "{b} to host a free community health fair this Saturday, 9am-3pm",
        "Local news: {b} names new chief nursing officer {link}",
        "{b} is hiring ICU nurses; sign-on bonus listed on their careers page {link}",
        "{b} earns Magnet recognition for nursing excellence {link}",
        "Report: {b} among top regional hospitals for stroke care {link}",
    ),
    "question": (
        "{h} how do I book a flu shot?",
        "{h} is the urgent care on Main St open on Sundays?",
        "{h} do you accept Medicaid for pediatric visits?",
        "{h} my patient portal login keeps failing, who do I call?",
        "{h} how long is the ER wait right now?",
        "{h} can I do a virtual visit for a sinus infection?",
        "{h} I got two bills for the same visit, how do I dispute one?",
    ),
    "trap": (
        "Tested positive for flu after my visit to {b}, but the care team was amazing {e}",
        "Mom is officially in remission! Forever grateful to the oncology team at {b} {e}",
        "Biopsy came back negative!! Thank you {b} {e}",
        "Discharged today after 9 days at {b}. Tired but home.",
        "I was misdiagnosed at {b} twice before anyone ordered the right scan",
        "Positive pregnancy test & our first appointment at {b} is booked {e}",
        "The cancer is gone. Terminal diagnosis two years ago and {b} never gave up on me",
        "Sick of being told it's 'just anxiety' at {b}. Misdiagnosed for 3 years.",
        "Killer nurses at {b}, they absolutely crushed my recovery plan {e}",
    ),
    "compare": (
        "{b} vs {b2}: {b} had me seen in 20 minutes, {b2} took 3 hours",
        "Switched from {b2} to {b} and the billing is so much clearer",
        "Anyone compared maternity care at {b} and {b2}?",
        "{b2} ER was packed so we drove to {b}. Worth it.",
        "Honestly {b} and {b2} are both overpriced",
    ),
    "campaign": (
        "Got my flu shot today {c} {e}",
        "Proud to support {b} this month {c}",
        "{c} is all over my feed and honestly I'm here for it",
        "Took the kids to {b} for the {c} event {e}",
    ),
    "campaign_kw": (
        "Stopped by the {ckw} on my lunch break, quick and painless {c}",
        "The {ckw} was so well organised {e} {c}",
    ),
    "misinfo": (
        "Garlic cures the flu, hospitals like {b} hide it from you {mlink}",
        "{b} won't tell you this: flu shots are full of microchips {mlink}",
        "Colloidal silver beats antibiotics every time. Ask why {b} never mentions it {mlink}",
        "Vitamin C megadoses cure cancer and {b} buries the studies {mlink}",
    ),
    "exclusion": (
        "{x} open house this Sunday, 5 minutes from {name}",
        "Traffic near {x} is a mess again, took 40 min to get past {name}",
        "Anyone know if {x} is open today? The lot by {name} is full",
    ),
    "chatter": (
        "Driving past {b} every day on my commute",
        "My cousin just started working at {b}",
        "Is {b} the one by the river or the one downtown?",
        "Went to {b} for bloodwork. It was fine, I guess.",
    ),
}
OTHER_LANGS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "praise": ("Gracias al equipo de {b} por cuidar tan bien a mi abuela {e}",
                   "La atención en {b} fue excelente y muy rápida"),
        "complaint": ("Esperé {n} horas en urgencias de {b}. Inaceptable {e}",
                      "{b} me cobró dos veces la misma consulta"),
        "question": ("{h} ¿cómo pido cita para la vacuna de la gripe?", "{h} ¿aceptan Medicaid?"),
        "news": ("{b} abre una nueva clínica en el centro {link}",),
        "topic": ("¿Alguien sabe dónde hay {kw} gratis? {tag}", "Por fin: {kw} hecho {tag} {e}"),
    },
    "fr": {
        "praise": ("Merci à l'équipe de {b}, des soins au top {e}",
                   "Accueil très humain à {b}, je recommande"),
        "complaint": ("{n} heures d'attente aux urgences de {b}, c'est honteux",
                      "Facture erronée de {b}, impossible de joindre quelqu'un"),
        "question": ("{h} comment prendre rendez-vous pour le vaccin contre la grippe ?",),
        "news": ("{b} inaugure un nouveau service de pédiatrie {link}",),
        "topic": ("Quelqu'un a essayé la {kw} ? {tag}",),
    },
    "de": {
        "praise": ("Danke an das Team von {b}, super Betreuung {e}",
                   "Sehr freundliche Pflegekräfte bei {b}, großes Lob"),
        "complaint": ("{n} Stunden Wartezeit in der Notaufnahme von {b}. Unmöglich.",
                      "Falsche Rechnung von {b} und niemand geht ans Telefon"),
        "question": ("{h} wie kann ich einen Termin für die Grippeimpfung buchen?",),
        "news": ("{b} eröffnet neue Kinderstation {link}",),
        "topic": ("Heute {kw} erledigt, tat kaum weh {tag} {e}",),
    },
    "pt": {
        "praise": ("Obrigado à equipe do {b} pelo cuidado com minha mãe {e}",
                   "Atendimento rápido e gentil no {b}"),
        "complaint": ("Esperei {n} horas na emergência do {b}. Absurdo.",
                      "O {b} cobrou duas vezes a mesma consulta"),
        "question": ("{h} como faço para agendar a vacina da gripe?",),
        "news": ("{b} inaugura nova ala pediátrica {link}",),
        "topic": ("Alguém já fez {kw}? Vale a pena? {tag}",),
    },
}
LANG_CUM = (("en", 0.84), ("es", 0.90), ("fr", 0.94), ("de", 0.97), ("pt", 1.0))
TOPIC_TEMPLATES = {
    "flu": ("Got my {kw} today, arm is sore {e} {tag}",
            "Where can I get a free {kw} near downtown? {tag}",
            "Reminder that {kw} season is here, don't wait {tag}",
            "Is it too late for a {kw}? asking for my grandma"),
    "wait": ("The {kw} tonight is brutal, 5 hours and counting {tag}",
             "Why is the {kw} always worse on Mondays? {tag}",
             "Brought a book for the {kw}. Finished it. {e} {tag}"),
    "bill": ("Anyone else get a surprise {kw} after a 'covered' visit? {tag}",
             "Spent my lunch break disputing a {kw} {e} {tag}",
             "How is anyone supposed to understand {kw}? {tag}"),
    "tele": ("Did a {kw} for my kid's rash, so much easier than driving in {tag}",
             "Is {kw} actually as good as an in-person appointment? {tag}",
             "My {kw} dropped three times. Wifi or the app? {tag}"),
    "generic": ("Thoughts on {kw}? {tag}", "Talking about {kw} at work today {tag}",
                "Hot take: {kw} needs a rethink {tag}"),
}
PHI_SENTENCES = {
    "phone": ("Please call me back at {p}.",
              "My number is {p} if anyone from the hospital reads this."),
    "email": ("Email me at {p}.", "You can reach me at {p}."),
    "mrn": ("Chart is under {p}.", "My file says {p}, still no answer."),
    "dob": ("Patient is my dad, {p}.", "For the record: {p}."),
    "address": ("Send it to {p}.", "We live at {p}, the letter never arrived."),
}
STREETS = ("Elm", "Oak", "Maple", "Cedar", "Pine", "Lakeview", "Birch", "Willow")
STREET_KINDS = ("Street", "Avenue", "Road", "Lane", "Drive")
AREA_CODES = (312, 415, 617, 206, 713, 303, 404, 612)
OWNED_TEMPLATES = (
    "Flu season is here. Book your flu shot at any {name} location {link} #FluShot",
    "Meet Dr. Amara Osei, our new chief of emergency medicine {e}",
    "5 heart-healthy habits you can start today {e}",
    "Telehealth visits are now available 7 days a week {link} #Telehealth",
    "Understanding your medical bill: a quick guide {link}",
    "Our ER wait times are now live on our website {link} #ERWait",
    "Thank you to our amazing nurses! {e}",
    "Behind the scenes with our NICU team {e}",
    "Free blood pressure screenings this Saturday at {name} {link}",
)
YOUTUBE_OWNED_TITLES = (
    "Flu Shot Clinic: What to Expect | {name}", "Meet Our ER Team | {name}",
    "Heart Health in 60 Seconds", "Telehealth Q&A with Dr. Osei | {name}",
    "Understanding Your Medical Bill | {name}", "A Day in the NICU | {name}",
)
REDDIT_OWNED = (
    ("We're {name}'s flu clinic nurses. Ask us anything about flu season!", "self"),
    ("{name} now offers same-day telehealth visits", "link"),
    ("How to read your {name} medical bill (a guide from our billing team)", "self"),
    ("{name} ER wait times are now published live", "link"),
)
REPLY_TEMPLATES = (
    "{u} Hi {first}! You can book a flu shot online at {link} or call our scheduling line.",
    "{u} Thanks for reaching out. Please send us a DM so our patient relations team can help.",
    "{u} Hi {first}, current ER wait times are on our website: {link}",
    "{u} We're sorry to hear this. Our billing team can review it; please DM us {e}",
)
COMMENT_TEMPLATES = {
    "question": ("Do I need an appointment for the flu shot or can I walk in?",
                 "Is this available at the downtown location too?",
                 "How do I get my records transferred?", "Does insurance cover this?"),
    "praise": ("This is so helpful, thank you! {e}", "The nurses at this hospital are the best",
               "Great video, my mom loved her care there", "Finally a clear explanation <3"),
    "complaint": ("Still waiting on a refund from your billing dept", "Waited 5 hours last week...",
                  "Nobody answers the phone at the clinic"),
}
OWNER_REPLIES = ("Thanks for asking! Walk-ins are welcome at all our clinics.",
                 "Hi! Please call our patient line and we'll help you right away.",
                 "Thank you so much for the kind words!")
# Inauthentic activity: one template per burst or campaign, every copy varied a little as spam
# tools and "copy and share" posts vary it. {b}: a brand form; [a|b]: a word some copies swap;
# {link}: the burst's link; the emoji and hashtag come and go per copy.
SPAM_TEMPLATES = (
    "Urgent: {b} patients can [claim|get] a $750 refund today, only a few spots left, "
    "check the link {link}",
    "{b} doesn't want you to know this one [weird|simple] trick to wipe out medical debt "
    "for good {link}",
    "Win a free health check at {b}! Follow, repost and tag three [friends|people] to enter "
    "the giveaway",
    "Doctors at {b} are [shocked|stunned] by this detox tea, lose ten pounds in ten days, "
    "order now {link}",
    "Cheap prescriptions with no waiting room, [way|much] cheaper than the {b} pharmacy, "
    "DM us now!",
)
SPAM_TAGS = ("#giveaway", "#FreeMoney", "#health", "#wellness", "#deals")
SPAM_EMOJI = ("💰", "🎁", "🔥", "✅", "👉", "💊")
SPAM_DOMAINS = ("claim-refund.example", "free-health-check.example", "detox-deal.example")
COPY_TEMPLATES = (  # (template, the campaign's hashtag); long, as petitions are
    ("Tell {b} to stop cutting [night-shift|overnight] nurses. Patients deserve safe staffing "
     "and nurses deserve a break! Sign the petition and share it with everyone you know",
     "#SafeStaffing"),
    ("{b} plans to close its maternity ward next spring. [Families|Mothers] in our town deserve "
     "care close to home, so please call them today and say no!", "#KeepMaternityOpen"),
    ("I stand with the nurses at {b}. Fair contracts now, because safe staffing saves "
     "[lives|patients] and tired nurses cannot keep covering double shifts!",
     "#NursesDeserveBetter"),
    ("Surprise bills from {b} have to end. Demand [fair|honest] prices before treatment, not "
     "months later, and share this post so they hear us!", "#PatientsFirst"),
    ("Keep the {b} pediatric clinic open! Our kids [need|deserve] care close to home, not an "
     "hour away on the highway. Please share and call the board", "#CareNotCuts"),
)
COPY_EMOJI = ("💙", "✊", "🙏", "📢")
_SWAP = re.compile(r"\[([^\]|]+)\|([^\]]+)\]")
DIURNAL = (3, 2, 2, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 8, 8, 7, 6, 5, 4)
_DIURNAL_CUM = [sum(DIURNAL[: i + 1]) / sum(DIURNAL) for i in range(24)]
_FIELDS = Formatter()


def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in _FIELDS.parse(template) if name)


def _compile(templates: Iterable[str]) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((t, _fields(t)) for t in templates)


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _topic_kind(topic: Topic) -> str:
    words = " ".join(topic.keywords + topic.hashtags + [topic.name]).lower()
    for kind, needles in (("flu", ("flu",)), ("wait", ("wait", "emergency")),
                          ("bill", ("bill",)), ("tele", ("tele", "virtual"))):
        if any(n in words for n in needles):
            return kind
    return "generic"


@dataclass
class _BrandForms:
    """How one brand is written on one platform."""

    id: str
    name: str
    names: tuple[str, ...]
    aliases: tuple[str, ...]
    handle: str | None  # as written in text, e.g. "@lakemonthealth", "u/LakemontHealth"
    tags: tuple[str, ...]  # "#LakemontHealth"
    exclude: tuple[str, ...]
    site: str


def _handle_in_text(platform: str, handle: str | None) -> str | None:
    if not handle:
        return None
    bare = handle.lstrip("@")
    if platform == "reddit":
        return f"u/{bare}"
    return f"@{bare}"


def _brand_forms(brand: Brand, platform: str) -> _BrandForms:
    site = "https://www." + "".join(ch for ch in ascii_fold(brand.name).lower() if ch.isalnum())
    return _BrandForms(
        id=brand.id, name=brand.name, names=tuple(brand.terms), aliases=tuple(brand.aliases),
        handle=_handle_in_text(platform, brand.handles.for_platform(platform)),
        tags=tuple(f"#{t}" for t in brand.hashtags), exclude=tuple(brand.exclude),
        site=site + ".example",
    )


class Composer:
    """Writes post text for one platform from templates; all randomness comes from `rng`."""

    def __init__(self, config: MonitoringConfig, platform: str):
        self.platform = platform
        self.config = config
        self.brands = [_brand_forms(b, platform) for b in config.brands]
        comps = len(self.brands) - 1
        weights = [0.40] + [(comps - i + 2) for i in range(comps)]
        total_comp = sum(weights[1:]) or 1
        weights[1:] = [w / total_comp * 0.60 for w in weights[1:]]
        self.brand_cum = _cumulative(weights)
        self.topics = [(t, _compile(TOPIC_TEMPLATES[_topic_kind(t)])) for t in config.topics]
        self.en = {cat: _compile(ts) for cat, ts in EN.items()}
        self.other = {lang: {cat: _compile(ts) for cat, ts in cats.items()}
                      for lang, cats in OTHER_LANGS.items()}
        self._campaigns_cache: dict[int, dict[str, list[Campaign]]] = {}

    # -- campaigns ----------------------------------------------------------------------------

    def campaigns_on(self, day: int) -> dict[str, list[Campaign]]:
        """Campaigns running on `day`, by brand id."""
        got = self._campaigns_cache.get(day)
        if got is None:
            d = date_of(day)
            got = {}
            for c in self.config.campaigns:
                if c.start <= d <= c.end:
                    got.setdefault(c.brand, []).append(c)
            self._campaigns_cache[day] = got
        return got

    # -- mentions -----------------------------------------------------------------------------

    def mention(self, r, day: int) -> tuple[str, str, str, tuple[str, ...], str | None,
                                            str | None, str | None]:
        """(text, lang, category, brands, topic id, campaign id, link) for a public mention."""
        if self.topics and r() < 0.15:
            return self._topic_post(r)
        brand = self.brands[bisect_right(self.brand_cum, r() * self.brand_cum[-1])]
        cat = _pick_category(r())
        campaign = None
        if cat == "campaign":
            running = self.campaigns_on(day).get(brand.id)
            if running:
                campaign = running[int(r() * len(running))]
            else:
                cat = "praise"
        if cat == "exclusion" and not brand.exclude:
            cat = "news"
        if cat == "compare" and len(self.brands) < 2:
            cat = "chatter"
        if cat == "question" and not brand.handle:
            cat = "complaint"
        lang = "en"
        table = self.en
        u = r()
        if u >= LANG_CUM[0][1]:
            for code, edge in LANG_CUM[1:]:
                if u < edge:
                    if cat in self.other[code]:
                        lang, table = code, self.other[code]
                    break
        templates = table[cat]
        if campaign is not None and campaign.keywords and (not campaign.hashtags or r() < 0.4):
            templates = self.en["campaign_kw"]  # a keyword-only campaign must still be named
        template, needs = templates[int(r() * len(templates))]
        values: dict[str, str] = {}
        brands: tuple[str, ...] = (brand.id,)
        link = None
        if "b" in needs:
            values["b"] = self._surface(brand, r)
        if "b2" in needs:
            other = self.brands[int(r() * (len(self.brands) - 1)) + 1]
            if other is brand:
                other = self.brands[0]
            values["b2"] = self._surface(other, r)
            brands = (brand.id, other.id)
        if "h" in needs:
            values["h"] = brand.handle or brand.name
        if "name" in needs:
            values["name"] = brand.names[int(r() * len(brand.names))]
        if "x" in needs:
            values["x"] = brand.exclude[int(r() * len(brand.exclude))]
        if "e" in needs:
            pool = EMOJI_BY_CAT.get(cat, EMOJI)
            values["e"] = pool[int(r() * len(pool))] if r() < 0.45 else ""
        if "n" in needs:
            values["n"] = str(3 + int(r() * 7))
        if "amt" in needs:
            values["amt"] = f"{400 + int(r() * 6000):,}"
        if "link" in needs:
            slug = NEWS_SLUGS[int(r() * len(NEWS_SLUGS))]
            link = f"https://news.example/health/{slug}-{int(r() * 9000) + 1000}"
            values["link"] = link
        if "mlink" in needs:
            domain = MISINFO_DOMAINS[int(r() * len(MISINFO_DOMAINS))]
            link = f"http://{domain}/{MISINFO_SLUGS[int(r() * len(MISINFO_SLUGS))]}"
            values["mlink"] = link
        if campaign is not None:
            values["c"] = " ".join(f"#{t}" for t in campaign.hashtags)
            if "ckw" in needs:
                values["ckw"] = campaign.keywords[0]
        text = _tidy(template.format_map(values))
        return text, lang, cat, brands, None, campaign.id if campaign else None, link

    def _surface(self, brand: _BrandForms, r) -> str:
        u = r()
        if u < 0.50:
            return brand.name
        if u < 0.72 and brand.aliases:
            return brand.aliases[int(r() * len(brand.aliases))]
        if u < 0.85 and brand.handle:
            return brand.handle
        if brand.tags:
            return brand.tags[int(r() * len(brand.tags))]
        return brand.name

    def _topic_post(self, r):
        topic, templates = self.topics[int(r() * len(self.topics))]
        lang = "en"
        u = r()
        if u >= LANG_CUM[0][1]:
            lang = ("es", "fr", "de", "pt")[int(r() * 4)]
            templates = self.other[lang]["topic"]
        template, _needs = templates[int(r() * len(templates))]
        kw = topic.keywords[int(r() * len(topic.keywords))] if topic.keywords else ""
        tag = f"#{topic.hashtags[int(r() * len(topic.hashtags))]}" if topic.hashtags else ""
        if not kw:
            kw, tag = tag, ""
        elif tag and r() < 0.5:
            tag = ""
        e = EMOJI[int(r() * len(EMOJI))] if r() < 0.4 else ""
        text = _tidy(template.format(kw=kw, tag=tag, e=e))
        return text, lang, "topic", (), topic.id, None, None

    # -- owned accounts -----------------------------------------------------------------------

    def owned_text(self, r, brand: _BrandForms, campaigns: list[Campaign], link: str) -> tuple[
            str, str | None]:
        template = OWNED_TEMPLATES[int(r() * len(OWNED_TEMPLATES))]
        e = EMOJI[int(r() * len(EMOJI))] if r() < 0.5 else ""
        text = template.format(name=brand.name, link=link, e=e)
        campaign = None
        if campaigns and r() < 0.6:
            campaign = campaigns[int(r() * len(campaigns))]
            text += " " + " ".join(f"#{t}" for t in campaign.hashtags)
            if campaign.keywords and r() < 0.5:
                text = f"{campaign.keywords[0]}: {text}"
        elif brand.tags and r() < 0.5:
            text += " " + brand.tags[int(r() * len(brand.tags))]
        return _tidy(text), campaign.id if campaign else None

    def reply_text(self, r, to: Author, link: str) -> str:
        template = REPLY_TEMPLATES[int(r() * len(REPLY_TEMPLATES))]
        handle = f"{to.handle}@{to.remote}" if to.remote else to.handle  # remote: user@domain
        mention = _handle_in_text(self.platform, handle) or to.name
        e = EMOJI[int(r() * len(EMOJI))] if r() < 0.3 else ""
        return _tidy(template.format(u=mention, first=to.first_name, link=link, e=e))


_CATEGORY_CUM = (
    ("praise", 0.22), ("complaint", 0.44), ("news", 0.57), ("question", 0.67),
    ("trap", 0.75), ("compare", 0.83), ("campaign", 0.90), ("misinfo", 0.94),
    ("exclusion", 0.96), ("chatter", 1.0),
)


def _pick_category(u: float) -> str:
    for cat, edge in _CATEGORY_CUM:
        if u < edge:
            return cat
    return "chatter"


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def plant_phi(r, count: int = 1) -> tuple[str, tuple[str, ...]]:
    """A sentence holding `count` synthetic patient identifiers, and the exact strings."""
    sentences, planted = [], []
    for _ in range(count):
        kind = ("phone", "email", "mrn", "dob", "address")[int(r() * 5)]
        value = _phi_value(kind, r)
        options = PHI_SENTENCES[kind]
        sentences.append(options[int(r() * len(options))].format(p=value))
        planted.append(value)
    return " ".join(sentences), tuple(planted)


def _phi_value(kind: str, r) -> str:
    if kind == "phone":
        area = AREA_CODES[int(r() * len(AREA_CODES))]
        line = f"01{int(r() * 100):02d}"
        fmt = int(r() * 5)
        return (f"({area}) 555-{line}", f"{area}-555-{line}", f"{area}.555.{line}",
                f"+1 {area} 555 {line}", f"{area}555{line}")[fmt]
    if kind == "email":
        first = ascii_fold(FIRST[int(r() * len(FIRST))]).lower()
        last = ascii_fold(LAST[int(r() * len(LAST))]).lower()
        domain = "example.com" if r() < 0.5 else "example.org"
        return f"{first}.{last}{int(r() * 90) + 10}@{domain}"
    if kind == "mrn":
        if r() < 0.5:
            return f"MRN {int(r() * 99_999_999):08d}"
        return f"medical record #{int(r() * 9_000_000) + 1_000_000}"
    if kind == "dob":
        y, m, d = 1930 + int(r() * 75), 1 + int(r() * 12), 1 + int(r() * 28)
        return f"DOB {m:02d}/{d:02d}/{y}" if r() < 0.5 else f"born {y}-{m:02d}-{d:02d}"
    number = 100 + int(r() * 9800)
    street = f"{STREETS[int(r() * len(STREETS))]} {STREET_KINDS[int(r() * len(STREET_KINDS))]}"
    if r() < 0.5:
        return f"{number} {street}, Apt {1 + int(r() * 30)}"
    return f"{number} {street}"


# -- inauthentic activity ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """One platform-day's planted burst or campaign, before its posts are written."""

    kind: str  # bot_burst | copy_paste
    brand: int  # index into config.brands
    times: tuple[int, ...]  # sorted raw times; placed apart from the day's other posts


def _spread(raw: list[int] | tuple[int, ...], taken: set[int], start: int) -> list[int]:
    """Sorted times made strictly increasing and kept off `taken`: ids must be unique."""
    out = []
    prev = start - 1
    for ms in raw:
        if ms <= prev:
            ms = prev + 1
        while ms in taken:
            ms += 1
        prev = ms
        out.append(ms)
    return out


def _plant_surface(brand: _BrandForms, r) -> str:
    """How one burst writes its brand: name, alias or hashtag (what brand matching finds)."""
    u = r()
    if u < 0.3 and brand.aliases:
        return brand.aliases[int(r() * len(brand.aliases))]
    if u < 0.5 and brand.tags:
        return brand.tags[int(r() * len(brand.tags))]
    return brand.name


def _near_copy(r, template: str, values: dict[str, str], emoji: list[str], tag: str) -> str:
    """One copy of a planted template: sometimes one word swapped, sometimes the punctuation
    changed, the burst's hashtag and an emoji each there or not. Any two copies of a group
    share 82% or more of their distinct words (one swap slot per template), few are identical."""
    slots = _SWAP.findall(template)
    swap = int(r() * len(slots)) if slots and r() < 0.25 else -1
    seen = iter(range(len(slots)))
    text = _SWAP.sub(lambda m: m.group(2) if next(seen) == swap else m.group(1), template)
    text = text.format_map(values)
    u = r()
    if u < 0.15 and "!" in text:
        text = text.replace("!", "!!", 1)
    elif u < 0.3 and "!" in text:
        text = text.replace("!", ".", 1)
    elif u < 0.4 and "," in text:
        text = text.replace(",", "", 1)
    if r() < 0.5:
        text = f"{text} {tag}"
    if r() < 0.6:
        text = f"{text} {emoji[int(r() * len(emoji))]}"
    return _tidy(text)


# -- the world --------------------------------------------------------------------------------


class World:
    """Deterministic posts, authors and comments for every platform and day."""

    def __init__(self, config: MonitoringConfig, *, seed: int = 7, mentions_per_night: int = 1500,
                 cache_posts: int = 2_000_000, spam: bool = True):
        self.config = config
        self.seed = seed
        self.mentions_per_night = mentions_per_night
        self.spam = spam  # plant bot bursts and copy-paste campaigns (see the module docstring)
        if spam and max(self.pool_size(p) for p in SPAM_PLATFORMS) > BOT_BASE:
            raise ValueError(f"mentions_per_night={mentions_per_night:,} needs more pool "
                             f"indices than bots leave free (below {BOT_BASE:,})")
        self.cache_posts = cache_posts
        self._lock = threading.RLock()
        self._days: OrderedDict[tuple[str, int, int], list[Post]] = OrderedDict()
        self._cached_posts = 0
        self._authors: dict[str, dict[int, Author]] = {p: {} for p in PLATFORMS}
        self._author_salt = {p: stable_seed(seed, "author", p) for p in PLATFORMS}
        self._seeds: dict[tuple[str, str], int] = {}
        self._first_ms: dict[tuple[str, int], int] = {}
        self._plans: dict[tuple[str, int], _Plan] = {}  # days without one are not kept
        self._authors_by_id: dict[tuple[str, str], Author] = {}  # ids served so far
        self._comments: OrderedDict[int, list[Comment]] = OrderedDict()
        self._composers = {p: Composer(config, p) for p in PLATFORMS}
        self._owned = {p: self._owned_authors(p) for p in PLATFORMS}
        self._owned_by_handle = {
            p: {a.handle_lc: a for a in authors.values()} for p, authors in self._owned.items()
        }
        self._searcher: Searcher | None = None
        # Set by a process that is only a simulator: after generating a day, move every live
        # object out of the cyclic GC's reach. Posts and authors hold no reference cycles
        # (refcounting frees them when evicted), and each full collection otherwise rescans
        # hundreds of thousands of them, several times a night.
        self.freeze_gc = False

    # -- sizes --------------------------------------------------------------------------------

    def daily_count(self, platform: str, day: int) -> int:
        """Natural mentions on `platform` for `day`: its share of the night, +-8%, quieter
        weekends. The day's mentions stream also holds the planted posts (`planted`)."""
        base = self.mentions_per_night * SHARES[platform]
        noise = 0.92 + (splitmix(stable_seed(self.seed, platform, day)) % 1000) / 1000 * 0.16
        weekend = 0.9 if date_of(day).weekday() >= 5 else 1.0
        return max(1, round(base * noise * weekend))

    def pool_size(self, platform: str) -> int:
        return max(300, int(self.mentions_per_night * SHARES[platform] * 1.5))

    # -- authors ------------------------------------------------------------------------------

    def _owned_authors(self, platform: str) -> dict[int, Author]:
        owned = {}
        for i, brand in enumerate(self.config.brands):
            handle = brand.handles.for_platform(platform)
            if not handle:
                continue
            h = stable_seed(self.seed, "owned", platform, brand.id)
            followers = (20_000 if i == 0 else 8_000) + h % 90_000
            handle = handle.lstrip("@") if platform != "youtube" else "@" + handle.lstrip("@")
            author = Author(
                platform=platform, idx=i, kind="owned", handle=handle, name=brand.name,
                bio=f"Official account of {brand.name}. Not for medical emergencies: call 911.",
                followers0=followers, growth=0.15 + (h >> 20) % 20 / 100, following=200 + h % 800,
                statuses0=2_000 + (h >> 8) % 6_000, verified=True, verified_type="business",
                created_ms=1_262_304_000_000 + (h >> 12) % (8 * YEAR_MS), lang="en",
                brand_id=brand.id,
            )
            author.handle_lc = handle.lstrip("@").lower()
            owned[i] = author
        return owned

    def owned_accounts(self, platform: str) -> list[Author]:
        return list(self._owned[platform].values())

    def owned_author(self, platform: str, brand_index: int) -> Author | None:
        return self._owned[platform].get(brand_index)

    def author(self, platform: str, idx: int) -> Author:
        """Pool author `idx` on `platform` (created on first use, then cached)."""
        cache = self._authors[platform]
        got = cache.get(idx)
        if got is None:  # setdefault: racing threads must end up sharing one object
            got = cache.setdefault(idx, self._make_author(platform, idx))
        return got

    def _make_author(self, platform: str, idx: int) -> Author:
        if idx >= BOT_BASE:
            return self._make_bot(platform, idx)
        h = splitmix(self._author_salt[platform] ^ idx)
        h2 = splitmix(h)
        fi, li = h % len(FIRST), (h >> 8) % len(LAST)
        first, last = FIRST[fi], LAST[li]
        u = ((h >> 16) & 0xFFFFFF) / 0x1000000
        v = ((h2 >> 8) & 0xFFFF) / 0x10000
        kind, followers, verified, name, bio = _author_profile(u, v, h2, first, last)
        vtype = "none"
        if verified:
            vtype = "business" if kind == "news" else "blue"
        handle = _pool_handle(platform, idx, FIRST_ASCII[fi], LAST_ASCII[li], kind, name, h2)
        author = Author(
            platform=platform, idx=idx, kind=kind, handle=handle, name=name, bio=bio,
            followers0=followers, growth=((h2 >> 24) % 60) / 100,
            following=20 + (h2 >> 32) % 900, statuses0=10 + (h2 >> 40) % 20_000,
            verified=verified, verified_type=vtype,
            created_ms=1_230_768_000_000 + (h2 >> 16) % (16 * YEAR_MS),
            lang=("en", "en", "en", "en", "es", "fr", "de", "pt")[(h >> 40) % 8],
            remote=MASTODON_REMOTES[(h >> 44) % 4] if platform == "mastodon" and h % 3 else None,
        )
        author.handle_lc = handle.lstrip("@").lower()
        return author

    def _make_bot(self, platform: str, idx: int) -> Author:
        """Bot `idx`: created 1-18 days before its burst, mass-following, hardly followed,
        posting hundreds of times a day; unverified, generic name and handle."""
        day = (idx - BOT_BASE) // BOT_SLOTS
        plan = self._plan(platform, day)
        if plan is None:
            raise KeyError(f"no bot {idx} on {platform}")  # callers check `_is_bot` first
        h = splitmix(self._author_salt[platform] ^ idx)
        h2 = splitmix(h)
        if h % 3:
            stem, name = BOT_STEMS[(h >> 8) % len(BOT_STEMS)], BOT_NAMES[(h >> 16) % len(BOT_NAMES)]
        else:
            stem, name = FIRST_ASCII[(h >> 8) % len(FIRST)].lower(), FIRST[(h >> 8) % len(FIRST)]
        digits = str(idx)
        handle = {"x": stem[: 15 - len(digits)] + digits,
                  "bluesky": f"{stem}{digits}.bsky.social"}.get(platform, stem + digits)
        author = Author(
            platform=platform, idx=idx, kind="bot", handle=handle, name=name,
            bio=BIO_BOT[(h2 >> 56) % len(BIO_BOT)], followers0=(h2 >> 8) % 41, growth=0.0,
            following=1500 + (h2 >> 16) % 3501, statuses0=0, verified=False,
            verified_type="none", created_ms=plan.times[0] - DAY_MS - (h >> 24) % (17 * DAY_MS),
            lang="en", post_rate=220 + (h2 >> 32) % 381,
        )
        author.handle_lc = handle.lower()
        return author

    def _is_bot(self, platform: str, idx: int) -> bool:
        """Whether pool index `idx` is a bot of some day's burst (bots exist only for theirs)."""
        if not BOT_BASE <= idx < 1 << 30 or not self.spam:  # ids hold 30 bits of index
            return False
        day, slot = divmod(idx - BOT_BASE, BOT_SLOTS)
        plan = self._plan(platform, day)
        return plan is not None and plan.kind == BOT_BURST and slot < len(plan.times)

    def author_by_handle(self, platform: str, handle: str) -> Author | None:
        """Resolve a handle as users type it: '@x', 'u/x', 'x@instance', case-insensitively."""
        text = handle.strip().lower()
        if platform == "reddit":
            text = text.removeprefix("/").removeprefix("u/")
        text = text.lstrip("@")
        if platform == "mastodon" and "@" in text:
            local, _, domain = text.partition("@")
            owned = self._owned_by_handle[platform].get(local)
            if owned is not None and domain == MASTODON_INSTANCE:
                return owned
            author = self._pool_by_handle(platform, local)
            return author if author is not None and author.remote == domain else None
        owned = self._owned_by_handle[platform].get(text)
        if owned is not None:
            return owned
        author = self._pool_by_handle(platform, text)
        if author is not None and platform == "mastodon" and author.remote is not None:
            return None
        return author

    def _pool_by_handle(self, platform: str, text: str) -> Author | None:
        local = text.split(".", 1)[0] if platform == "bluesky" else text
        digits = len(local) - len(local.rstrip("0123456789"))
        if not digits:
            return None
        idx = int(local[-digits:])
        if idx >= self.pool_size(platform) and not self._is_bot(platform, idx):
            return None
        author = self.author(platform, idx)
        return author if author.handle_lc == text else None

    # -- author ids (reversible) ----------------------------------------------------------------

    def _payload(self, author: Author) -> int:
        return (1 if author.owned else 0) << 30 | author.idx

    def _from_payload(self, platform: str, payload: int) -> Author | None:
        kind, idx = payload >> 30, payload & ((1 << 30) - 1)
        if kind == 1:
            return self._owned[platform].get(idx)
        if kind == 0 and (idx < self.pool_size(platform) or self._is_bot(platform, idx)):
            return self.author(platform, idx)
        return None

    def _seed(self, kind: str, name: str) -> int:
        got = self._seeds.get((kind, name))
        if got is None:
            got = self._seeds[(kind, name)] = stable_seed(self.seed, kind, name)
        return got

    def _check(self, platform: str, payload: int, bits: int) -> int:
        return splitmix(self._seed("check", platform) ^ payload) & ((1 << bits) - 1)

    def _salt(self, name: str) -> int:
        return self._seed("salt", name)

    def author_id(self, author: Author) -> str:
        """The platform's id for an author (YouTube channel id, t2_ id, DID, numeric id)."""
        got = author.uid  # asked for on nearly every item: kept on the author, and mapped back
        if not got:
            got = author.uid = self._encode_author_id(author.platform, self._payload(author))
            self._authors_by_id[(author.platform, got)] = author
        return got

    def _encode_author_id(self, p: str, payload: int) -> str:
        if p == "youtube":
            n = scramble(payload << 96 | self._check(p, payload, 96), 128, self._salt(p))
            return "UC" + to_alphabet(n << 4, 22, B64)
        if p == "reddit":
            n = scramble(payload << 8 | self._check(p, payload, 8), 40, self._salt(p))
            return base36(n)
        if p == "mastodon":
            n = scramble(payload << 17 | self._check(p, payload, 17), 48, self._salt(p))
            return str(10**17 + n)
        if p == "bluesky":
            n = scramble(payload << 88 | self._check(p, payload, 88), 120, self._salt(p))
            return "did:plc:" + to_alphabet(n, 24, B32)
        n = scramble(payload << 28 | self._check(p, payload, 28), 60, self._salt(p))
        return str(10**18 + n)

    def author_by_id(self, platform: str, text: str) -> Author | None:
        known = self._authors_by_id.get((platform, text))
        if known is not None:
            return known
        n: int | None = None
        check_bits = {"youtube": 96, "reddit": 8, "mastodon": 17, "bluesky": 88, "x": 28}[platform]
        bits = {"youtube": 128, "reddit": 40, "mastodon": 48, "bluesky": 120, "x": 60}[platform]
        if platform == "youtube" and text.startswith("UC") and len(text) == 24:
            raw = from_alphabet(text[2:], B64)
            n = raw >> 4 if raw is not None and raw & 0xF == 0 else None
        elif platform == "reddit":
            raw = from_alphabet(text.lower().removeprefix("t2_"), B36)
            n = raw if raw is not None and raw < 1 << 40 else None
        elif platform == "mastodon" and text.isdigit():
            n = int(text) - 10**17 if 0 <= int(text) - 10**17 < 1 << 48 else None
        elif platform == "bluesky" and text.startswith("did:plc:") and len(text) == 32:
            n = from_alphabet(text[8:], B32)
        elif platform == "x" and text.isdigit():
            n = int(text) - 10**18 if 0 <= int(text) - 10**18 < 1 << 60 else None
        if n is None:
            return None
        raw = unscramble(n, bits, self._salt(platform))
        payload = raw >> check_bits
        if raw & ((1 << check_bits) - 1) != self._check(platform, payload, check_bits):
            return None
        return self._from_payload(platform, payload)

    # -- post ids (reversible) ------------------------------------------------------------------

    def video_id(self, post: Post) -> str:
        """11-char YouTube id encoding (day, stream, index); last char carries 4 bits."""
        payload = (day_of(post.ms) << 23) | (post.stream << 22) | post.idx
        n = scramble(payload << 25 | self._check("youtube-v", payload, 25), 64, self._salt("v"))
        return to_alphabet(n << 2, 11, B64)

    def video_by_id(self, text: str) -> Post | None:
        raw = from_alphabet(text, B64) if len(text) == 11 else None
        if raw is None or raw & 3:
            return None
        n = unscramble(raw >> 2, 64, self._salt("v"))
        payload = n >> 25
        if n & ((1 << 25) - 1) != self._check("youtube-v", payload, 25):
            return None
        day, stream, idx = payload >> 23, (payload >> 22) & 1, payload & ((1 << 22) - 1)
        posts = self.stream_posts("youtube", day, stream)
        return posts[idx] if idx < len(posts) else None

    # -- days ---------------------------------------------------------------------------------

    def stream_posts(self, platform: str, day: int, stream: int) -> list[Post]:
        """One stream of one day, oldest first (cached)."""
        key = (platform, day, stream)
        with self._lock:
            got = self._days.get(key)
            if got is not None:
                self._days.move_to_end(key)
                return got
            collecting = gc.isenabled()
            gc.disable()  # a day is 100k+ new objects: generational GC would rescan them all
            try:
                if stream == STREAM_OWNED:
                    got = self._gen_owned(platform, day)
                else:
                    got = self._gen_mentions(platform, day, self.stream_posts(platform, day, 1))
            finally:
                if collecting:
                    if self.freeze_gc:
                        gc.freeze()
                    gc.enable()
            self._days[key] = got
            self._cached_posts += len(got)
            while self._cached_posts > self.cache_posts and len(self._days) > 2:
                _, old = self._days.popitem(last=False)
                self._cached_posts -= len(old)
            return got

    def day_posts(self, platform: str, day: int) -> list[Post]:
        """Both streams of one day merged, oldest first."""
        owned = self.stream_posts(platform, day, STREAM_OWNED)
        mentions = self.stream_posts(platform, day, STREAM_MENTIONS)
        return sorted(owned + mentions, key=_by_key)

    def iter_posts(self, platform: str, days: Iterable[date]) -> Iterator[Post]:
        for d in days:
            yield from self.day_posts(platform, day_number(d))

    def first_ms(self, platform: str, day: int) -> int:
        """No post of the day is older than this; it costs the day's times, not its posts."""
        key = (platform, day)
        got = self._first_ms.get(key)
        if got is None:
            owned = self.stream_posts(platform, day, STREAM_OWNED)
            with self._lock:
                mentions = self._days.get((platform, day, STREAM_MENTIONS))
            if mentions is not None:
                got = mentions[0].ms if mentions else (day + 1) * DAY_MS
            else:
                times = self._mention_times(self._mention_rng(platform, day), platform, day)
                got = times[0] if times else (day + 1) * DAY_MS
                plan = self._plan(platform, day)
                if plan is not None:  # planted times depend on where the natural ones landed
                    taken = {p.ms for p in owned}
                    taken.update(_spread(times, taken, day * DAY_MS))
                    got = min(got, _spread(plan.times, taken, plan.times[0])[0])
            got = self._first_ms[key] = min([got] + [p.ms for p in owned])
        return got

    def _mention_rng(self, platform: str, day: int) -> random.Random:
        return random.Random(stable_seed(self.seed, platform, day, "mentions"))

    def _mention_times(self, rng: random.Random, platform: str, day: int) -> list[int]:
        """The day's mention times, sorted: the first draws of its mentions' generator."""
        r = rng.random
        start = day * DAY_MS
        cum = _DIURNAL_CUM
        # The last second is kept free so that nudging equal milliseconds apart (ids must be
        # unique) can never push a post into the next day.
        last = DAY_MS - 1000
        return sorted(start + min(bisect_right(cum, r()) * HOUR_MS + int(r() * HOUR_MS), last)
                      for _ in range(self.daily_count(platform, day)))

    def _gen_mentions(self, platform: str, day: int, owned: list[Post]) -> list[Post]:
        rng = self._mention_rng(platform, day)
        r = rng.random
        start = day * DAY_MS
        owned_ms = {p.ms for p in owned}
        times = _spread(self._mention_times(rng, platform, day), owned_ms, start)
        composer = self._composers[platform]
        pool = self.pool_size(platform)
        author_of = self.author
        posts: list[Post] = []
        for i, ms in enumerate(times):
            author = author_of(platform, int(pool * r() ** 1.7))
            text, lang, cat, brands, topic, campaign, link = composer.mention(r, day)
            phi: tuple[str, ...] = ()
            sentence = ""
            if r() < 0.03:
                sentence, phi = plant_phi(r, 2 if r() < 0.2 else 1)
            post = self._shape(platform, rng, ms, author, text, lang, cat, brands, topic,
                               campaign, link, phi, sentence)
            post.idx = i
            posts.append(post)
        plan = self._plan(platform, day)
        if plan is not None:  # merged after the natural posts are final, so they never change
            posts.extend(self._gen_planted(platform, day, plan, owned_ms.union(times)))
            posts.sort(key=_by_key)
            for i, post in enumerate(posts):
                post.idx = i  # DayText indexes a stream by `idx`
        return posts

    def _low(self, platform: str, r) -> int:
        if platform == "reddit":
            return 0
        if platform == "bluesky":
            return int(r() * 1000) * 2
        return int(r() * 2048) * 2

    def _shape(self, platform: str, rng: random.Random, ms: int, author: Author, text: str,
               lang: str, cat: str, brands: tuple[str, ...], topic: str | None,
               campaign: str | None, link: str | None, phi: tuple[str, ...],
               phi_sentence: str) -> Post:
        """Give mention text its platform form (title/body, media, subreddit) and engagement.

        Planted identifiers go where people overshare: the body, never a title.
        """
        r = rng.random
        title = None
        ctype = "link" if link else ("image" if r() < 0.12 else "video" if r() < 0.05 else "text")
        if platform == "youtube":
            ctype = "short" if r() < 0.25 else "video"
            title = text if len(text) <= 100 else text[:97].rstrip() + "..."
            footer = YOUTUBE_FOOTER[int(r() * len(YOUTUBE_FOOTER))]
            body = f"{text} {phi_sentence}".strip()
            text = f"{body}\n\n{footer}" + (f"\n{link}" if link else "")
        elif platform == "reddit":
            title = text
            if link and cat == "news" and not phi_sentence:
                text, ctype = "", "link"
            else:
                detail = REDDIT_DETAILS[int(r() * len(REDDIT_DETAILS))]
                text, ctype = f"{phi_sentence}\n\n{detail}".strip(), "text"
        elif phi_sentence:
            text = f"{text} {phi_sentence}"
        post = Post(platform, (ms << KEY_SHIFT) | self._low(platform, r), author, text, title,
                    lang, ctype, link, cat, brands, topic, campaign, phi)
        if platform == "reddit":
            subs = SUBREDDITS.get(cat, SUBREDDITS["topic"])
            post.sub = subs[int(r() * len(subs))]
        elif platform == "youtube":
            post.dur = 15 + int(r() * 44) if ctype == "short" else 90 + int(r() * 1500)
            u = r()
            post.flags = FLAG_COMMENTS_OFF if u < 0.03 else FLAG_LIKES_HIDDEN if u < 0.05 else 0
        self._engage(post, r, rng.getrandbits(32))
        return post

    def _engage(self, post: Post, r, bits: int) -> None:
        author = post.author
        fol = max(0, int(author.followers0 * (1 + author.growth * (
            (post.key >> KEY_SHIFT) - T_REF_MS) / YEAR_MS)))
        factor = 0.2 / (1.0 - r() * 0.995) ** 0.55
        if post.cat in ("complaint", "misinfo") and r() < 0.03:
            factor *= 25  # outrage travels
        rate = 0.015 if author.brand_id is None else 0.03
        post.fol = fol
        post.h = bits
        post.likes = int((fol * rate + 1.5) * factor)
        post.views = int((fol * 0.5 + 40) * factor) + post.likes * 30
        post.tau = 3.0 + r() * 45.0

    def _gen_owned(self, platform: str, day: int) -> list[Post]:
        """Owned-account posts, the patient questions they answer, and the answers."""
        rng = random.Random(stable_seed(self.seed, platform, day, "owned"))
        r = rng.random
        composer = self._composers[platform]
        running = composer.campaigns_on(day)
        start = day * DAY_MS
        posts: list[Post] = []
        for i, brand in enumerate(self.config.brands):
            author = self._owned[platform].get(i)
            if author is None:
                continue
            forms = composer.brands[i]
            campaigns = [c for c in running.get(brand.id, [])
                         if i != 0 or platform in c.owned_accounts]
            for hour in rng.sample(range(7, 22), 1 + int(r() * 4)):
                ms = start + hour * HOUR_MS + int(r() * HOUR_MS)
                posts.append(self._owned_post(platform, rng, ms, author, forms, campaigns))
            if platform in ("x", "bluesky", "mastodon"):
                answers = 1 + int(r() * 2) if i == 0 else int(r() * 2)
                for _ in range(answers):
                    posts.extend(self._question_and_answer(platform, rng, start, author, forms))
        posts.sort(key=_by_key)
        seen: set[int] = set()
        for idx, post in enumerate(posts):
            while post.ms in seen:  # two owned posts in one millisecond: nudge the later one
                post.key += 1 << KEY_SHIFT
            seen.add(post.ms)
            post.idx = idx
            post.stream = STREAM_OWNED
        return posts

    def _owned_post(self, platform: str, rng: random.Random, ms: int, author: Author,
                    forms: _BrandForms, campaigns: list[Campaign]) -> Post:
        r = rng.random
        composer = self._composers[platform]
        slug = NEWS_SLUGS[int(r() * len(NEWS_SLUGS))]
        link = f"{forms.site}/{slug}"
        text, campaign = composer.owned_text(r, forms, campaigns, link)
        title = None
        if platform == "youtube":
            ctype = "short" if r() < 0.35 else "video"
            title = YOUTUBE_OWNED_TITLES[int(r() * len(YOUTUBE_OWNED_TITLES))].format(
                name=forms.name)
            if ctype == "short":
                title += " #Shorts"
            if campaign:
                title += " " + " ".join(f"#{t}" for t in self._campaign(campaign).hashtags)
            text = f"{text}\n\nSubscribe for more from {forms.name}."
        elif platform == "reddit":
            raw_title, kind = REDDIT_OWNED[int(r() * len(REDDIT_OWNED))]
            title = raw_title.format(name=forms.name)
            ctype = "text" if kind == "self" else "link"
            text = text if ctype == "text" else ""
        else:
            ctype = ("video", "image", "infographic", "carousel", "text", "link")[int(r() * 6)]
        if ctype != "link" and platform not in ("youtube", "reddit") and r() < 0.5:
            text = text.replace(f" {link}", "")
        post = Post(platform, (ms << KEY_SHIFT) | self._low(platform, r), author, text, title,
                    "en", ctype, link if link in text or ctype == "link" else None, "owned",
                    (forms.id,), None, campaign, ())
        if platform == "youtube":
            post.dur = 20 + int(r() * 39) if ctype == "short" else 120 + int(r() * 900)
        if platform == "reddit":
            post.sub = ("Lakemont", "healthcare", f"u_{author.handle}")[int(r() * 3)]
        self._engage(post, r, rng.getrandbits(32))
        return post

    def _question_and_answer(self, platform: str, rng: random.Random, start: int,
                             account: Author, forms: _BrandForms) -> list[Post]:
        r = rng.random
        asker = self.author(platform, int(self.pool_size(platform) * r()))
        templates = self._composers[platform].en["question"]
        template, _ = templates[int(r() * len(templates))]
        text = template.format(h=forms.handle or forms.name)
        phi: tuple[str, ...] = ()
        if r() < 0.03:
            sentence, phi = plant_phi(r)
            text = f"{text} {sentence}"
        q_ms = start + int(r() * 20 * HOUR_MS)
        question = Post(platform, (q_ms << KEY_SHIFT) | self._low(platform, r), asker, text, None,
                        "en", "text", None, "question", (forms.id,), None, None, phi)
        self._engage(question, r, rng.getrandbits(32))
        a_ms = q_ms + int((10 + r() * 170) * 60_000)
        link = f"{forms.site}/contact"
        answer_text = self._composers[platform].reply_text(r, asker, link)
        answer = Post(platform, (a_ms << KEY_SHIFT) | self._low(platform, r), account,
                      answer_text, None, "en", "reply", link if link in answer_text else None,
                      "owned", (forms.id,), None, None, ())
        answer.reply_to = question
        self._engage(answer, r, rng.getrandbits(32))
        return [question, answer]

    def _campaign(self, campaign_id: str) -> Campaign:
        return next(c for c in self.config.campaigns if c.id == campaign_id)

    # -- planted inauthentic activity ---------------------------------------------------------

    def _plan(self, platform: str, day: int) -> _Plan | None:
        """The burst or campaign planted on `platform` that day (kind, brand, raw times), or None.

        Each aligned block of five days holds one burst day and one other campaign day, at
        places drawn per block: about one day in five each, yet a two-week window always holds
        two to four of each (independent draws would leave some demo windows without any).
        """
        if not self.spam or platform not in SPAM_PLATFORMS:
            return None
        key = (platform, day)
        got = self._plans.get(key)
        if got is not None:
            return got
        h = stable_seed(self.seed, "plant", platform, day // 5)
        burst_at = h % 5
        copy_at = (burst_at + 1 + (h >> 8) % 4) % 5
        plan = None
        if day % 5 in (burst_at, copy_at):
            kind = BOT_BURST if day % 5 == burst_at else COPY_PASTE
            r = random.Random(stable_seed(self.seed, platform, day, "plan")).random
            brand = int(r() * len(self.config.brands))
            if kind == BOT_BURST:  # spans stay a minute under the limit: nudges add milliseconds
                size, span = 15 + int(r() * 16), int((5 + r() * 24) * 60_000)
            else:
                size, span = 6 + int(r() * 7), int((15 + r() * 29) * 60_000)
            start = day * DAY_MS + HOUR_MS + int(r() * 21 * HOUR_MS)
            plan = self._plans[key] = _Plan(kind, brand, tuple(sorted(
                start + int(r() * span) for _ in range(size))))  # racing threads agree
        return plan

    def _gen_planted(self, platform: str, day: int, plan: _Plan, taken: set[int]) -> list[Post]:
        """The plan's posts, from their own generator, at milliseconds outside `taken`."""
        rng = random.Random(stable_seed(self.seed, platform, day, "planted"))
        r = rng.random
        forms = self._composers[platform].brands[plan.brand]
        surface = _plant_surface(forms, r)
        link = None
        if plan.kind == BOT_BURST:
            template = SPAM_TEMPLATES[int(r() * len(SPAM_TEMPLATES))]
            tag, emoji = SPAM_TAGS[int(r() * len(SPAM_TAGS))], rng.sample(SPAM_EMOJI, 2)
            if "{link}" in template:
                domain = SPAM_DOMAINS[int(r() * len(SPAM_DOMAINS))]
                link = f"https://{domain}/{to_alphabet(rng.getrandbits(31), 6, B36)}"
            authors = [self.author(platform, BOT_BASE + day * BOT_SLOTS + j)
                       for j in range(len(plan.times))]
        else:
            template, tag = COPY_TEMPLATES[int(r() * len(COPY_TEMPLATES))]
            emoji = rng.sample(COPY_EMOJI, 2)
            chosen: dict[int, Author] = {}  # ordinary people, each once
            while len(chosen) < len(plan.times):
                author = self.author(platform, int(self.pool_size(platform) * r()))
                if author.kind == "person":
                    chosen.setdefault(author.idx, author)
            authors = list(chosen.values())
        values = {"b": surface, "link": link or ""}
        posts = []
        for ms, author in zip(_spread(plan.times, taken, plan.times[0]), authors, strict=True):
            text = _near_copy(r, template, values, emoji, tag)
            posts.append(self._shape(platform, rng, ms, author, text, "en", plan.kind,
                                     (forms.id,), None, None, link, (), ""))
        return posts

    # -- comments (YouTube) -------------------------------------------------------------------

    def comments(self, video: Post) -> list[Comment]:
        """All comment threads a video will ever get, oldest first (visibility is by `ms`)."""
        with self._lock:
            got = self._comments.get(video.key)
            if got is not None:
                self._comments.move_to_end(video.key)
                return got
            got = self._gen_comments(video)
            self._comments[video.key] = got
            if len(self._comments) > 4096:
                self._comments.popitem(last=False)
            return got

    def _gen_comments(self, video: Post) -> list[Comment]:
        if video.flags & FLAG_COMMENTS_OFF:
            return []
        rng = random.Random(stable_seed(self.seed, "comments", video.key))
        r = rng.random
        owned = video.author.owned
        n = min(120, 4 + video.likes // 25) if owned else min(30, video.likes // 40)
        threads: list[Comment] = []
        for i in range(n):
            ms = video.ms + 60_000 + int(-math.log(1.0 - r() * 0.999) * video.tau * HOUR_MS)
            cat = ("question", "praise", "praise", "complaint")[int(r() * 4)]
            options = COMMENT_TEMPLATES[cat]
            text = options[int(r() * len(options))].format(
                e=EMOJI[int(r() * len(EMOJI))] if r() < 0.4 else "").strip()
            phi: tuple[str, ...] = ()
            if r() < 0.03:
                sentence, phi = plant_phi(r)
                text = f"{text} {sentence}"
            author = self.author("youtube", int(self.pool_size("youtube") * r()))
            thread = Comment(self._thread_id(video, i), ms, author, text, int(r() ** 3 * 300), phi)
            if owned and cat == "question" and r() < 0.7:
                reply_ms = ms + int((1 + r() * 8) * HOUR_MS)
                thread.replies.append(Comment(
                    f"{thread.id}.{to_alphabet(splitmix(ms) & ((1 << 132) - 1), 22, B64)}",
                    reply_ms, video.author, OWNER_REPLIES[int(r() * len(OWNER_REPLIES))],
                    int(r() * 20), parent=thread.id))
            for j in range(int(r() ** 2 * 3)):
                reply_ms = ms + int((0.5 + r() * 30) * HOUR_MS)
                replier = self.author("youtube", int(self.pool_size("youtube") * r()))
                thread.replies.append(Comment(
                    f"{thread.id}.{to_alphabet(splitmix(ms + j + 1) & ((1 << 132) - 1), 22, B64)}",
                    reply_ms, replier, "Same here!" if r() < 0.5 else "Thanks for sharing",
                    int(r() * 10), parent=thread.id))
            thread.replies.sort(key=lambda c: c.ms)
            threads.append(thread)
        threads.sort(key=lambda c: c.ms)
        return threads

    def _thread_id(self, video: Post, i: int) -> str:
        payload = (day_of(video.ms) << 23) | (video.stream << 22) | video.idx
        n = scramble((payload << 32) | (i << 16) | self._check("yt-c", payload ^ i, 16), 96,
                     self._salt("c"))
        return "Ug" + to_alphabet(n, 16, B64) + "4AaABAg"

    # -- search -------------------------------------------------------------------------------

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            from extract.simulator.query import Searcher

            self._searcher = Searcher(self)
        return self._searcher

    # -- ground truth for tests ---------------------------------------------------------------

    def phi_canaries(self, days: date | Iterable[date]) -> set[str]:
        """Every synthetic patient identifier planted on those days, exactly as written.

        Covers posts on every platform (both streams) and YouTube comments and replies.
        """
        chosen = [days] if isinstance(days, date) else list(days)
        found: set[str] = set()
        for d in chosen:
            for platform in PLATFORMS:
                for post in self.day_posts(platform, day_number(d)):
                    found.update(post.phi)
                    if platform == "youtube":
                        for thread in self.comments(post):
                            found.update(thread.phi)
        return found

    def planted(self, platform: str, day: int | date) -> list[Planted]:
        """The inauthentic posts planted on `platform` that day (a day number or a date),
        oldest first: a bot burst, a copy-paste campaign, or nothing (always nothing on
        reddit and youtube, or with spam=False). They are served like any other mention."""
        from extract.simulator.platforms.bluesky import tid
        from extract.simulator.platforms.mastodon import status_id
        from extract.simulator.platforms.x import tweet_id

        n = day_number(day) if isinstance(day, date) else day
        if self._plan(platform, n) is None:
            return []
        out = []
        for post in self.stream_posts(platform, n, STREAM_MENTIONS):
            if post.cat not in (BOT_BURST, COPY_PASTE):
                continue
            uid = self.author_id(post.author)
            if platform == "x":
                post_id = tweet_id(post)
            elif platform == "mastodon":
                post_id = status_id(post)
            else:
                post_id = f"at://{uid}/app.bsky.feed.post/{tid(post)}"
            out.append(Planted(platform, n, post.cat, f"{platform}:{date_of(n)}:{post.cat}",
                               post.brands[0], post.key, post.ms, post_id, post.author, uid,
                               post.author.handle, post.text))
        return out

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"cached_streams": len(self._days), "cached_posts": self._cached_posts,
                    "cached_comment_sets": len(self._comments)}


def _by_key(post: Post) -> int:
    return post.key


def _author_profile(u: float, v: float, h: int, first: str, last: str):
    """(kind, followers at T_REF, verified, display name, bio) with power-law followers."""
    name = f"{first} {last}"
    if u < 0.01:
        followers = int(100_000 * 30 ** v)
        return "macro", followers, v < 0.7 or h % 10 < 7, name, BIO_MACRO[h % len(BIO_MACRO)]
    if u < 0.06:
        followers = int(10_000 * 10 ** v)
        return "micro", followers, h % 4 == 0, name, BIO_MICRO[h % len(BIO_MICRO)]
    if u < 0.11:
        followers = int(300 * 200 ** v)
        bio = BIO_CLINICIAN[h % len(BIO_CLINICIAN)]
        if "MD" in bio or "physician" in bio or "Cardiologist" in bio:
            name = f"Dr. {name}" if h % 2 else name
        return "clinician", followers, h % 3 == 0, name, bio
    if u < 0.13:
        followers = int(20_000 * 40 ** v)
        return "news", followers, h % 5 != 0, NEWS_NAMES[h % len(NEWS_NAMES)], \
            BIO_NEWS[h % len(BIO_NEWS)]
    followers = min(9_500, int(8 / (1.0 - v * 0.9999) ** (1 / 1.15)))
    return "person", followers, h % 100 == 0, name, BIO_PERSON[h % len(BIO_PERSON)]


def _pool_handle(platform: str, idx: int, first: str, last: str, kind: str, name: str,
                 h: int) -> str:
    """A handle ending in the pool index, so it can be resolved without a lookup table.

    `first` and `last` are already ASCII-folded.
    """
    fa, la = first.lower(), last.lower()
    if kind == "news":
        fa, la = "".join(ch for ch in ascii_fold(name).lower() if ch.isalnum()), ""
    style = h % 3
    digits = str(idx)
    if platform == "x":
        stem = (f"{fa}{la}", f"{fa}_{la[:4]}", f"{fa[0]}{la}")[style]
        return stem[: 15 - len(digits)] + digits
    if platform == "reddit":
        stem = (f"{first}_{last}", f"{fa}{la}", f"Throwaway_{fa}")[style]
        return stem.replace(" ", "") + digits
    if platform == "bluesky":
        stem = (f"{fa}{la}", f"{fa}-{la}", f"{fa}")[style].strip("-")
        return f"{stem}{digits}.bsky.social"
    if platform == "youtube":
        stem = (f"{fa}{la}", f"{fa}.{la}", f"{fa}vlogs")[style].strip(".")
        return f"@{stem}{digits}"
    return (f"{fa}{la}", f"{fa}_{la}", f"{fa}")[style].strip("_") + digits
