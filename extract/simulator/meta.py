"""Meta's Graph API, simulated: what the Facebook and Instagram platforms share.

`MetaWorld` is our Facebook Page's and Instagram account's content as a function of time.
Only owners can read these, so they are not part of the shared World (whose posts anyone
can search): like extract/simulator/reviews.py, each day's posts are drawn from a seed
(the same in every process) and any moment's state is computed. Per day: 1-3 Page posts in
our voice (some photo-only, without `message`), 0-3 posts by visitors tagging the Page (a
person's without `from`), 1-2 Instagram media (likes hidden on some), 0-2 media by other
accounts tagging ours. Every owned post gets 0-15 comments (a media 0-12) over the next
two days (the Page answers some complaints and questions); reactions, likes and shares
grow with the post's age. About one comment in twenty carries a planted PHI needle (a 555
phone number, an example.com e-mail address, an MRN), listed by `phi_canaries`.

`parse_fields`/`project` implement the `fields` mini-language (`from{id,name}`,
`comments.summary(true).limit(0)`). `GraphPlatform` is the API around them: the token as
Bearer header or `access_token`, `appsecret_proof` checked where the app secret is known,
error bodies with numbered codes (HTTP 400/403, never 429), usage headers holding
percentages, and cursor paging whose `next` echoes the request's query.

Quirks served on purpose: JSON with `\\/` and `\\uXXXX` escapes; times as
`2026-11-20T14:03:11+0000`; absent keys rather than nulls (`message`, `shares` at 0,
`from`, `like_count` when hidden); `summary` only when a field asks for it; empty pages
that still have a `next` (the first comments page of every third post, as privacy
filtering leaves them); `next` carrying `appsecret_proof` and `access_token` when the
request had them in its query.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import re
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from carepulse import sources
from carepulse.config import MonitoringConfig
from extract.simulator.faults import FaultRule
from extract.simulator.platforms import (
    BadCursor,
    Context,
    Endpoint,
    OpaqueCodec,
    Platform,
    RateWindow,
    Request,
    Response,
    etag,
    iso_z,
    missing_headers,
    parse_time,
)
from extract.simulator.world import (
    DAY_MS,
    FIRST,
    FIRST_ASCII,
    HOUR_MS,
    LAST,
    LAST_ASCII,
    date_of,
    day_number,
    growth,
    splitmix,
    stable_seed,
    to_ms,
)

START_MS = to_ms(datetime(2025, 1, 1, tzinfo=UTC))  # nothing was posted before
API_VERSION = "v26.0"
CODEC = OpaqueCodec("QVFI")  # Graph cursors are base64 too ("QVFI..." is base64 of "AQH")
TOP = 2**71  # a descending walk's first threshold: older than everything
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
COMMENT_SPAN_MS = 48 * HOUR_MS  # comments arrive within two days of their post
PARTNERS = ("Riverside Running Club", "Valley Gazette", "County Public Health", "Harbor Food Bank")
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again. "
           "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
           "rate-limiting.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try "
           "again. For more info, please refer to https://developers.facebook.com/docs/graph-api/"
           "overview/rate-limiting.",
}
TOKEN_MESSAGES = {
    458: "Error validating access token: The user has not authorized application 1234567890.",
    460: "Error validating access token: The session has been invalidated because the user changed "
         "their password or Facebook has changed the session for security reasons.",
    467: "Invalid OAuth access token - Cannot parse access token",
}

# -- the generator ----------------------------------------------------------------------------

OWNED_POSTS = (
    "Flu shots are available at every {org} location this week, no appointment needed.",
    "Meet the {org} NICU team: ten years of caring for our tiniest patients.",
    "Our ER wait times are now live on our website: https://{slug}.example/er-wait",
    "Thank you to our nurses for everything you do! 💙",
    "Free blood pressure screenings this Saturday at {site}.",
    "{org} welcomes Dr. Amara Osei as our new chief of emergency medicine.",
    "Telehealth visits are now available 7 days a week. Book online or call us.",
    "Understanding your medical bill: our billing team answers your top questions.",
)
VISITOR_POSTS = (
    "Shoutout to the amazing nurses at {org} ❤️",
    "Three hours in the {org} ER waiting room and still no doctor.",
    "Ran the charity 5K for {org} today!",
    "{org} billing charged me twice for the same visit. Calling again tomorrow.",
    "Our baby girl was born at {org} this morning, thank you to the whole team",
)
PARTNER_POSTS = ("{org} opens a new cardiac wing this spring.",
                 "Proud to team up with {org} for this weekend's health fair.")
PRAISE = ("Thank you {org} for taking such good care of my mom ❤️",
          "The nurses on the 4th floor are angels 🙏", "Best ER team in the county, thank you!",
          "Love this! 💙")
QUESTIONS = ("Is the flu clinic walk-in or appointment only?",
             "Do you take Medicaid at the urgent care?", "What are the visiting hours this weekend?",
             "Is parking free for the screening?")
COMPLAINTS = ("{org} billing still hasn't fixed my refund after three months.",
              "Waited six hours in the {org} ER last night. Unacceptable.",
              "Nobody at {org} answers the phone, I've called five times.",
              "{org} cancelled my surgery the day before with no explanation 😡")
NEUTRAL = ("👍", "Shared with my sister", "Good to know", "🙌🙌")
PHI_TEXTS = {
    "phone": ("Still no callback from {org} billing, call me at {needle}.",
              "{org} please call me back at {needle}, it's about my dad's bill."),
    "email": ("Can someone at {org} email me at {needle}? Nobody answers the phone.",),
    "mrn": ("My chart at {org} is {needle} and the lab results never came.",
            "{org} lost my referral again, {needle}. Please fix this."),
}
OWNER_REPLIES = (
    "We're sorry to hear this. Please send us a private message so our patient relations team can help.",
    "Thank you for reaching out! Walk-ins are welcome at all our flu clinics.",
    "Hi! Our patient line can help with this; please call or message us.",
)
REACTIONS = ("LIKE", "LIKE", "LIKE", "LOVE", "CARE", "WOW", "SAD", "ANGRY")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    username: str
    page: bool = False  # a Page (its posts name it in `from`), not a person


@dataclass(frozen=True)
class Comment:
    id: str
    key: int  # paging order (chronological)
    ms: int
    text: str
    author: Person | None  # None: our own Page or account (a reply)
    parent: str | None  # the comment it answers
    likes: int  # eventually; grows with the comment's age
    phi: str | None  # the planted needle, exactly as written


@dataclass(frozen=True)
class Post:
    """A Facebook post or an Instagram media, ours or by someone tagging us."""

    id: str
    key: int  # paging order (newest first)
    ms: int
    text: str | None
    kind: str  # Facebook status_type, Instagram media_type
    media: str | None  # Facebook attachment media_type, Instagram media_product_type
    author: Person | None  # None: ours
    reactions: int  # eventually (reactions, or likes)
    shares: int  # eventually; 0 leaves `shares` out
    tau_h: float  # how fast engagement arrives
    tags: tuple[tuple[str, str, str, int, int], ...]  # message_tags: id, name, type, offset, length
    likes_hidden: bool
    link: str
    comments: tuple[Comment, ...]  # every comment it will get, oldest first
    comment_total: int  # visitors' posts: comments we do not serve, only count


NATURAL_MAX_PCT = 80  # the usage a simulated hour's traffic can report (the connector pauses at 95)


class MetaWorld:
    """Our Page's and Instagram account's posts, comments and engagement at any moment."""

    def __init__(self, *, seed: int, org: str, page_id: str, ig_user_id: str, hashtags: Sequence[str] = (),
                 campaigns: Sequence[tuple[date, date, tuple[str, ...]]] = (), site: str = "",
                 slug: str = "hospital"):
        self.seed = seed
        self.org = org
        self.page_id = page_id
        self.ig_user_id = ig_user_id
        self.username = re.sub(r"\W", "", org).lower()
        self.hashtags = tuple(hashtags)
        self.campaigns = tuple(campaigns)
        self.site = site or org
        self.slug = slug
        self._lock = threading.Lock()
        self._days: dict[tuple[str, int], list[Post]] = {}

    @classmethod
    def from_config(cls, config: MonitoringConfig, seed: int) -> MetaWorld:
        org = config.organisation
        campaigns = [(c.start, c.end, tuple(c.hashtags)) for c in config.campaigns if c.brand == org.id]
        site = org.locations[0].name if org.locations else org.name
        return cls(seed=seed, org=org.name, page_id=org.handles.facebook or "",
                   ig_user_id=org.handles.instagram or "", hashtags=org.hashtags,
                   campaigns=campaigns, site=site, slug=org.id)

    # -- reading ------------------------------------------------------------------------------

    def posts(self, kind: str, since_ms: int | None, until_ms: int | None, now_ms: int) -> list[Post]:
        """kind's posts published in [since, until) by now, newest first. Kinds: fb_posts,
        fb_visitor (people's posts on our Page), fb_tagged, ig_media, ig_tags."""
        lo = max(START_MS, since_ms if since_ms is not None else START_MS)
        hi = min(now_ms + 1, until_ms if until_ms is not None else now_ms + 1)
        found = [p for day in range(hi // DAY_MS, lo // DAY_MS - 1, -1) for p in self.day(kind, day)
                 if lo <= p.ms < hi]
        return sorted(found, key=lambda p: -p.key)

    def find(self, kind: str, post_id: str) -> Post | None:
        """An owned post by id (its day and slot are spelled in it)."""
        digits = post_id.rpartition("_")[2]
        if not digits.isdigit() or len(digits) != 18:
            return None
        day, slot = int(digits[3:8]), int(digits[8:10])
        posts = self.day(kind, day) if day * DAY_MS >= START_MS else []
        return posts[slot] if slot < len(posts) and posts[slot].id == post_id else None

    def comments(self, post: Post, now_ms: int, *, replies: bool = True) -> list[Comment]:
        return [c for c in post.comments if c.ms <= now_ms and (replies or c.parent is None)]

    def replies_to(self, post: Post, comment: Comment, now_ms: int) -> int:
        return sum(1 for c in post.comments if c.parent == comment.id and c.ms <= now_ms)

    def reactions(self, post: Post, now_ms: int) -> int:
        return int(post.reactions * growth(now_ms - post.ms, post.tau_h))

    def shares(self, post: Post, now_ms: int) -> int:
        return int(post.shares * growth(now_ms - post.ms, post.tau_h))

    def comment_count(self, post: Post, now_ms: int) -> int:
        """Top-level comments by now (a visitor's post: its own count, growing)."""
        if not post.comments:
            return int(post.comment_total * growth(now_ms - post.ms, post.tau_h))
        return len(self.comments(post, now_ms, replies=False))

    def likes(self, comment: Comment, now_ms: int) -> int:
        return int(comment.likes * growth(now_ms - comment.ms, 12.0))

    def updated_ms(self, post: Post, now_ms: int) -> int:
        """A post's updated_time moves with every comment it gets."""
        return max([post.ms, *(c.ms for c in self.comments(post, now_ms))])

    def phi_canaries(self, days: Iterable[date], now_ms: int | None = None) -> list[str]:
        """The PHI needles planted in comments on the posts and media of `days`, exactly as
        written (with now_ms: only comments made by then), so tests can assert none of them
        survives into the warehouse."""
        found = []
        for d in days:
            for kind in ("fb_posts", "ig_media"):
                found += [c.phi for p in self.day(kind, day_number(d)) for c in p.comments
                          if c.phi and (now_ms is None or c.ms <= now_ms)]
        return found

    def person(self, platform: str, i: int) -> Person:
        h = splitmix(stable_seed(self.seed, "meta-person", platform, i))
        first, last = i % len(FIRST), (i // len(FIRST) + i * 7) % len(LAST)
        sep = "._"[h & 1]
        username = f"{FIRST_ASCII[first]}{sep}{LAST_ASCII[last]}".lower().replace(" ", "")
        if h & 2:
            username += str(h % 97)
        pid = f"1000{h % 10**11:011d}" if platform == "facebook" else f"178414{h % 10**11:011d}"
        return Person(pid, f"{FIRST[first]} {LAST[last]}", username)

    def partner(self, i: int) -> Person:
        name = PARTNERS[i % len(PARTNERS)]
        h = splitmix(stable_seed(self.seed, "meta-partner", name))
        return Person(f"10485760{h % 10**7:07d}", name, re.sub(r"\W", "", name).lower(), page=True)

    @property
    def us(self) -> Person:
        return Person(self.page_id, self.org, self.username, page=True)

    # -- drawing a day ------------------------------------------------------------------------

    def day(self, kind: str, day: int) -> list[Post]:
        """kind's posts of `day`, oldest first (their slot is their index)."""
        with self._lock:
            got = self._days.get((kind, day))
        if got is None:
            rng = random.Random(stable_seed(self.seed, "meta", kind, day))
            got = DRAW[kind](self, rng, day)
            with self._lock:
                self._days[(kind, day)] = got
        return got

    def _times(self, rng: random.Random, day: int, counts: Sequence[int],
               hours: tuple[int, int]) -> list[int]:
        n = rng.choice(counts)
        return sorted(day * DAY_MS + rng.randrange(hours[0] * HOUR_MS, hours[1] * HOUR_MS) for _ in range(n))

    def _id(self, prefix: str, day: int, slot: int, salt: str) -> str:
        h = splitmix(stable_seed(self.seed, salt, day, slot))
        return f"{prefix}{day:05d}{slot:02d}{h % 10**8:08d}"

    def _hashtags(self, rng: random.Random, day: int, chance: float) -> str:
        d = date_of(day)
        tags = [t for start, end, ts in self.campaigns if start <= d <= end for t in ts]
        tags = ([rng.choice(self.hashtags)] if self.hashtags else []) + tags[:1]
        return " " + " ".join(f"#{t}" for t in tags) if tags and rng.random() < chance else ""

    def _fb_posts(self, rng: random.Random, day: int) -> list[Post]:
        posts = []
        for slot, ms in enumerate(self._times(rng, day, (1, 1, 2, 2, 2, 3), (7, 21))):
            num = self._id("122", day, slot, "fb-post")
            text = rng.choice(OWNED_POSTS).format(org=self.org, site=self.site, slug=self.slug)
            text += self._hashtags(rng, day, 0.6)
            tags: tuple = ()
            if rng.random() < 0.2:
                partner = self.partner(rng.randrange(len(PARTNERS)))
                text += f" Thanks to our friends at {partner.name}!"
                tags = ((partner.id, partner.name, "page", text.index(partner.name), len(partner.name)),)
            kind, media = rng.choice((("added_photos", "photo"), ("added_video", "video"),
                                      ("mobile_status_update", None), ("added_photos", "album")))
            if "https://" in text:
                kind, media = "shared_story", "link"
            if rng.random() < 0.2:  # photo-only: no message at all
                text, tags, kind, media = None, (), "added_photos", "photo"
            reactions = int(rng.lognormvariate(3.4, 0.9)) + 1
            shares = 0 if rng.random() < 0.45 else max(1, int(reactions * rng.uniform(0.02, 0.2)))
            post_id = f"{self.page_id}_{num}"
            comments = self._comments(rng, "facebook", ms, num, 15)
            posts.append(Post(post_id, ms << 8 | slot, ms, text, kind, media, None, reactions, shares,
                              rng.uniform(4, 36), tags, False,
                              f"https://www.facebook.com/{self.page_id}/posts/{num}", comments, 0))
        return posts

    def _fb_tagged(self, rng: random.Random, day: int) -> list[Post]:
        posts = []
        for slot, ms in enumerate(self._times(rng, day, (0, 0, 1, 1, 2, 3), (0, 24))):
            num = self._id("123", day, slot, "fb-tagged")
            by_page = rng.random() < 0.3
            author = self.partner(rng.randrange(len(PARTNERS))) if by_page \
                else self.person("facebook", rng.randrange(2000))
            text = rng.choice(PARTNER_POSTS if by_page else VISITOR_POSTS).format(org=self.org)
            tags = [(self.page_id, self.org, "page", text.index(self.org), len(self.org))]
            if not by_page and rng.random() < 0.3:  # a friend tagged along
                friend = self.person("facebook", rng.randrange(2000))
                text += f" with {friend.name}"
                tags.append((friend.id, friend.name, "user", text.index(friend.name), len(friend.name)))
            reactions = int(rng.lognormvariate(2.2, 1.0)) + 1
            posts.append(Post(f"{author.id}_{num}", ms << 8 | slot, ms, text, "mobile_status_update",
                              None, author, reactions, 0 if rng.random() < 0.7 else rng.randrange(1, 6),
                              rng.uniform(2, 24), tuple(tags), False,
                              f"https://www.facebook.com/permalink.php?story_fbid={num}&id={author.id}",
                              (), rng.randrange(0, 12)))
        return posts

    def _fb_visitor(self, rng: random.Random, day: int) -> list[Post]:
        """People's posts on our Page's wall: in its feed, never in /posts; no `from` (Graph
        names a person only to themselves)."""
        posts = []
        for slot, ms in enumerate(self._times(rng, day, (0, 0, 0, 1, 1, 2), (6, 23))):
            num = self._id("124", day, slot, "fb-visitor")
            author = self.person("facebook", rng.randrange(2000))
            text = rng.choice(VISITOR_POSTS).format(org=self.org)
            reactions = int(rng.lognormvariate(1.5, 0.8)) + 1
            posts.append(Post(f"{self.page_id}_{num}", ms << 8 | slot, ms, text, "mobile_status_update",
                              None, author, reactions, 0, rng.uniform(2, 24), (), False,
                              f"https://www.facebook.com/{self.page_id}/posts/{num}", (), 0))
        return posts

    def _ig_media(self, rng: random.Random, day: int) -> list[Post]:
        posts = []
        for slot, ms in enumerate(self._times(rng, day, (1, 1, 1, 2), (8, 20))):
            media_id = self._id("179", day, slot, "ig-media")
            kind = rng.choices(("IMAGE", "CAROUSEL_ALBUM", "VIDEO"), (0.55, 0.2, 0.25))[0]
            product = "REELS" if kind == "VIDEO" and rng.random() < 0.8 else "FEED"
            caption = None if rng.random() < 0.1 else \
                rng.choice(OWNED_POSTS).format(org=self.org, site=self.site, slug=self.slug) \
                + self._hashtags(rng, day, 0.8)
            code = _shortcode(stable_seed(self.seed, "ig", media_id))
            link = f"https://www.instagram.com/{'reel' if product == 'REELS' else 'p'}/{code}/"
            comments = self._comments(rng, "instagram", ms, media_id, 12)
            posts.append(Post(media_id, ms << 8 | slot, ms, caption, kind, product, None,
                              int(rng.lognormvariate(4.0, 0.8)) + 1, 0, rng.uniform(3, 30), (),
                              rng.random() < 0.25, link, comments, 0))
        return posts

    def _ig_tags(self, rng: random.Random, day: int) -> list[Post]:
        posts = []
        for slot, ms in enumerate(self._times(rng, day, (0, 0, 1, 1, 2), (0, 24))):
            media_id = self._id("180", day, slot, "ig-tags")
            author = self.person("instagram", rng.randrange(2000))
            text = rng.choice(VISITOR_POSTS).format(org=self.org) + f" @{self.username}"
            link = f"https://www.instagram.com/p/{_shortcode(stable_seed(self.seed, 'ig', media_id))}/"
            posts.append(Post(media_id, ms << 8 | slot, ms, text, rng.choice(("IMAGE", "VIDEO")), None,
                              author, int(rng.lognormvariate(2.5, 1.0)) + 1, 0, rng.uniform(2, 24), (),
                              rng.random() < 0.15, link, (), rng.randrange(0, 10)))
        return posts

    def _comments(self, rng: random.Random, platform: str, post_ms: int, num: str,
                  most: int) -> tuple[Comment, ...]:
        """A post's comments, oldest first; on Facebook the Page answers some of them."""
        out: list[Comment] = []
        for idx in range(min(most, int(rng.expovariate(1 / 4.5)))):
            ms = post_ms + int(rng.random() ** 2 * COMMENT_SPAN_MS) + rng.randrange(60_000, 600_000)
            text, phi, cat = self._comment_text(rng)
            cid = self._comment_id(platform, num, idx)
            out.append(Comment(cid, ms << 10 | idx, ms, text, self.person(platform, rng.randrange(2000)),
                               None, min(60, int(rng.lognormvariate(0.5, 1.0))), phi))
            if platform == "facebook" and cat in ("complaint", "question") and rng.random() < 0.5:
                at = ms + rng.randrange(HOUR_MS, 10 * HOUR_MS)
                out.append(Comment(self._comment_id(platform, num, 50 + idx), at << 10 | 50 + idx, at,
                                   rng.choice(OWNER_REPLIES), None, cid, rng.randrange(0, 4), None))
        return tuple(sorted(out, key=lambda c: c.key))

    def _comment_id(self, platform: str, num: str, idx: int) -> str:
        h = splitmix(stable_seed(self.seed, "comment", num, idx)) % 10**6
        if platform == "facebook":
            return f"{num}_9{num[3:10]}{idx:02d}{h:06d}"
        return f"178{num[3:10]}{idx:02d}{h:06d}"

    def _comment_text(self, rng: random.Random) -> tuple[str, str | None, str]:
        """(text, PHI needle or None, category)."""
        if rng.random() < 0.05:
            kind = rng.choice(sorted(PHI_TEXTS))
            needle = self._needle(rng, kind)
            return rng.choice(PHI_TEXTS[kind]).format(org=self.org, needle=needle), needle, "complaint"
        cat = rng.choices(("praise", "question", "complaint", "neutral"), (0.35, 0.25, 0.3, 0.1))[0]
        table = {"praise": PRAISE, "question": QUESTIONS, "complaint": COMPLAINTS, "neutral": NEUTRAL}
        return rng.choice(table[cat]).format(org=self.org), None, cat

    def _needle(self, rng: random.Random, kind: str) -> str:
        if kind == "phone":
            return f"(555) 01{rng.randrange(10)}-{rng.randrange(10_000):04d}"
        if kind == "email":
            first, last = rng.choice(FIRST_ASCII).lower(), rng.choice(LAST_ASCII).lower()
            return f"{first}.{last}.{rng.randrange(1000, 10_000)}@example.com".replace(" ", "")
        return f"MRN {rng.randrange(10**8):08d}"


DRAW: dict[str, Callable[[MetaWorld, random.Random, int], list[Post]]] = {
    "fb_posts": MetaWorld._fb_posts, "fb_visitor": MetaWorld._fb_visitor, "fb_tagged": MetaWorld._fb_tagged,
    "ig_media": MetaWorld._ig_media, "ig_tags": MetaWorld._ig_tags,
}


def _shortcode(n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(alphabet[(n >> (6 * i)) & 63] for i in range(11))


# -- wire formats -----------------------------------------------------------------------------


def graph_time(ms: int) -> str:
    """`2026-11-20T14:03:11+0000`: no colon in the offset."""
    return iso_z(ms)[:-1] + "+0000"


def graph_json(obj: Any) -> bytes:
    """Graph's JSON: compact, ASCII only (\\uXXXX), and every '/' escaped (only strings hold one)."""
    return json.dumps(obj, separators=(",", ":")).replace("/", "\\/").encode("ascii")


@dataclass(frozen=True)
class Field:
    """One requested field: `name{sub,fields}.modifier(value)...`."""

    name: str
    sub: tuple[Field, ...] | None = None
    mods: tuple[tuple[str, str], ...] = ()

    def mod(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.mods if k == name), default)

    @property
    def summary(self) -> bool:
        return self.mod("summary", "false") in ("true", "1", "total_count")

    @property
    def limit(self) -> int:
        """`.limit(n)` (Graph's 25 without it)."""
        value = self.mod("limit", "") or ""
        return int(value) if value.isdigit() else LIMIT_DEFAULT


class FieldsError(ValueError):
    """A `fields` value Graph would refuse (code 100)."""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_fields(text: str) -> tuple[Field, ...]:
    fields, _ = _field_list(text.replace(" ", ""), 0, None)
    return fields


def _field_list(text: str, pos: int, closing: str | None) -> tuple[tuple[Field, ...], int]:
    out = []
    while True:
        field, pos = _field(text, pos)
        out.append(field)
        if pos == len(text):
            if closing:
                raise FieldsError(f"Syntax error \"Expected '{closing}'\" at character {pos}: {text}")
            return tuple(out), pos
        if text[pos] == closing:
            return tuple(out), pos + 1
        if text[pos] != ",":
            raise FieldsError(f"Syntax error \"Expected end of string instead of \"{text[pos]}\".\" "
                              f"at character {pos}: {text}")
        pos += 1


def _field(text: str, pos: int) -> tuple[Field, int]:
    m = _NAME.match(text, pos)
    if m is None:
        raise FieldsError(f"Syntax error \"Field name expected\" at character {pos}: {text}")
    name, pos, sub, mods = m.group(), m.end(), None, []
    while pos < len(text) and text[pos] in ".{":
        if text[pos] == "{":
            sub, pos = _field_list(text, pos + 1, "}")
            continue
        m = _NAME.match(text, pos + 1)
        close = text.find(")", pos)
        if m is None or text[m.end():m.end() + 1] != "(" or close < 0:
            raise FieldsError(f"Syntax error \"Modifier expected\" at character {pos}: {text}")
        mods.append((m.group(), text[m.end() + 1:close]))
        pos = close + 1
    return Field(name, sub, tuple(mods)), pos


def project(doc: dict, fields: Sequence[Field],
            connections: dict[str, Callable[[Field], Any]] | None = None) -> dict:
    """The requested fields of `doc` in the order asked (absent ones stay absent), plus its
    id, which Graph always returns; `connections` render edges asked for as fields."""
    out: dict = {}
    for f in fields:
        make = (connections or {}).get(f.name)
        if make is not None:
            out[f.name] = make(f)
        elif f.name in doc:
            out[f.name] = _narrow(doc[f.name], f.sub)
    if "id" in doc and "id" not in out:
        out["id"] = doc["id"]
    return out


def _narrow(value: Any, sub: tuple[Field, ...] | None) -> Any:
    if sub is None:
        return value
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return {**value, "data": [project(v, sub) for v in value["data"]]}
    if isinstance(value, list):
        return [project(v, sub) if isinstance(v, dict) else v for v in value]
    return project(value, sub) if isinstance(value, dict) else value


def _pacific(ms: int) -> str:
    """How Graph's token errors write a moment (in Menlo Park's winter time)."""
    moment = datetime.fromtimestamp(ms / 1000, UTC) - timedelta(hours=8)
    return moment.strftime("%A, %d-%b-%y %H:%M:%S PST")


# -- the API ----------------------------------------------------------------------------------

_PATH = re.compile(r"(?:/(v\d+\.\d+))?/([^/]+)/([A-Za-z_]+)/?")


class GraphPlatform(Platform):
    """A Graph API host: what Facebook and Instagram answer alike.

    Flags tests set (the control API's reset clears them): `token_expired` (every call
    answers 190/463), `missing_permission` (calls needing it answer 10), `require_proof`
    (calls without appsecret_proof answer 100), `usage_pct` (the usage headers' percentage).
    `app_secrets` maps a token to its app secret: the proof is checked for those (the demo
    token's is known); for any other token a proof must only look like one.
    """

    buc_type = ""  # the usage header's type: pages, instagram
    throttle_code = 0  # the BUC throttling code (80001 Page, 80002 Instagram)
    permissions: ClassVar[dict[str, str]] = {}  # endpoint -> the permission it needs
    edges: ClassVar[dict[str, str]] = {}  # path edge -> endpoint name

    def __init__(self, ctx: Context, meta: MetaWorld | None = None):
        super().__init__(ctx)
        self.rate = RateWindow(4800, 3600)
        self.meta = meta or MetaWorld.from_config(ctx.world.config, seed=ctx.world.seed)
        self.reset()

    @property
    @abstractmethod
    def owner_id(self) -> str:
        """The Page or account id this platform serves (the owner a BUC header names)."""

    def reset(self) -> None:
        super().reset()
        token, _, secret = sources.SOURCES[self.name].demo_credential.partition(":")
        self.app_secrets = {token: secret}
        self.token_expired = False
        self.missing_permission: str | None = None
        self.require_proof = False
        self.usage_pct: int | None = None

    # -- routing and credentials ---------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        m = _PATH.fullmatch(req.path)
        name = self.edges.get(m.group(3)) if m and req.method == "GET" else None
        return Endpoint(name, getattr(self, m.group(3))) if name else None

    def target(self, req: Request) -> str:
        """The object id in the path: /v26.0/{id}/{edge}."""
        return _PATH.fullmatch(req.path).group(2)

    def credential(self, req: Request) -> str | None:
        return req.bearer() or req.arg("access_token") or None

    def admit(self, req: Request, endpoint: Endpoint) -> Response | None:
        if self.token_expired:
            return self.expired(req)
        token, proof = self.credential(req) or "", req.arg("appsecret_proof")
        if proof is not None and not self._proof_ok(token, proof):
            return self.error(req, 400, "Invalid appsecret_proof provided in the API argument", 100,
                              kind="GraphMethodException")
        if proof is None and self.require_proof:
            return self.error(req, 400, "API calls from the server require an appsecret_proof argument",
                              100, kind="GraphMethodException")
        needed = self.permissions.get(endpoint.name)
        if needed is not None and needed == self.missing_permission:
            return self.permission_error(req, needed)
        return None

    def _proof_ok(self, token: str, proof: str) -> bool:
        secret = self.app_secrets.get(token)
        if secret is None:  # an app we do not know: only the shape can be checked
            return re.fullmatch(r"[0-9a-f]{64}", proof) is not None
        expected = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, proof)

    # -- errors ----------------------------------------------------------------------------

    def error(self, req: Request, status: int, message: str, code: int, *, subcode: int | None = None,
              transient: bool | None = None, kind: str = "OAuthException",
              headers: list[tuple[str, str]] | None = None) -> Response:
        err: dict = {"message": message, "type": kind, "code": code}
        if subcode is not None:
            err["error_subcode"] = subcode
        if transient is not None:
            err["is_transient"] = transient
        err["fbtrace_id"] = "A" + etag(req.path, sorted(req.query.items()), req.now_ms, message)[:22]
        return self.json(req, {"error": err}, status, headers=headers)

    def unauthorized(self, req: Request) -> Response:
        return self.error(req, 400, "An access token is required to request this resource.", 104)

    def expired(self, req: Request) -> Response:
        return self.error(req, 400, f"Error validating access token: Session has expired on "
                          f"{_pacific(req.now_ms - 7 * HOUR_MS)}. The current time is "
                          f"{_pacific(req.now_ms)}.", 190, subcode=463)

    def not_found(self, req: Request) -> Response:
        m = _PATH.fullmatch(req.path)
        where = f"/{m.group(3)}" if m else req.path
        return self.error(req, 400, f"Unknown path components: {where}", 2500)

    def no_object(self, req: Request, object_id: str) -> Response:
        return self.error(req, 400, f"Unsupported get request. Object with ID '{object_id}' does not "
                          "exist, cannot be loaded due to missing permissions, or does not support "
                          "this operation. Please read the Graph API documentation at "
                          "https://developers.facebook.com/docs/graph-api", 100, subcode=33,
                          kind="GraphMethodException")

    def bad_parameter(self, req: Request, message: str) -> Response:
        return self.error(req, 400, f"(#100) {message}", 100)

    def permission_error(self, req: Request, permission: str) -> Response:
        return self.error(req, 403, f"(#10) This endpoint requires the '{permission}' permission.", 10)

    def throttled(self, req: Request, code: int, minutes: int) -> Response:
        message = THROTTLE_MESSAGES.get(code, f"(#{code}) Rate limit reached")
        return self.error(req, 400, message, code, transient=True,
                          headers=self.usage_headers(100, minutes))

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        return self.throttled(req, rule.code or self.throttle_code, math.ceil(rule.retry_after / 60))

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        return self.error(req, rule.status, "An unexpected error has occurred. Please retry your "
                          "request later.", 2, transient=True)

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        """The quota fault: the account's allowance is spent for the day. The server sends
        every other terminal fault here too, so api_error is answered here."""
        if rule.kind == "api_error":
            return self.api_error(req, rule.code or 1, rule.subcode, rule.retry_after)
        return self.throttled(req, self.throttle_code, math.ceil(rule.reset_s / 60))

    def api_error(self, req: Request, code: int, subcode: int | None = None,
                  retry_after: float = 60) -> Response:
        """Graph's answer for an error code, as the api_error fault asks for it."""
        if code in THROTTLE_MESSAGES:
            return self.throttled(req, code, math.ceil(retry_after / 60))
        if code == 190:
            if subcode in (None, 463):
                return self.expired(req)
            return self.error(req, 400, TOKEN_MESSAGES.get(subcode, "Error validating access token."),
                              190, subcode=subcode)
        if code == 104:
            return self.unauthorized(req)
        if code == 10 or 200 <= code <= 299:
            endpoint = self.route(req)
            if code == 10 and endpoint is not None and endpoint.name in self.permissions:
                return self.permission_error(req, self.permissions[endpoint.name])
            return self.error(req, 403, f"(#{code}) Permissions error", code)
        if code == 100:
            return self.no_object(req, self.target(req)) if subcode == 33 \
                else self.bad_parameter(req, "Invalid parameter")
        if code in (1, 2):
            message = "An unknown error has occurred." if code == 1 else \
                "An unexpected error has occurred. Please retry your request later."
            return self.error(req, 400, message, code, transient=code == 2)
        return self.error(req, 400, f"(#{code}) Error", code, subcode=subcode)

    # -- usage headers -------------------------------------------------------------------

    def usage_headers(self, pct: int, minutes: int = 0) -> list[tuple[str, str]]:
        """Percentages of the app's and the account's hourly allowance; how many minutes
        until a throttled account may call again."""
        app = {"call_count": pct, "total_cputime": pct // 3, "total_time": pct // 2}
        buc = {self.owner_id: [{"type": self.buc_type, "call_count": pct, "total_cputime": pct // 3,
                                "total_time": pct // 2, "estimated_time_to_regain_access": minutes}]}
        return [("x-app-usage", json.dumps(app, separators=(",", ":"))),
                ("x-business-use-case-usage", json.dumps(buc, separators=(",", ":")))]

    def rate_headers(self, req: Request, response: Response) -> list[tuple[str, str]]:
        used, _, _ = self.rate.hit()
        # natural usage is advisory, as the other platforms' rate windows are: it stays below
        # the connector's busy threshold, so a long test or benchmark never pauses; high usage
        # and throttling come from `usage_pct` and the fault plan
        pct = self.usage_pct if self.usage_pct is not None else min(NATURAL_MAX_PCT,
                                                                     used * 100 // self.rate.limit)
        return missing_headers(response, self.usage_headers(pct))

    # -- answers ---------------------------------------------------------------------------

    def json(self, req: Request, body: Any, status: int = 200, *,
             headers: list[tuple[str, str]] | None = None, items: int = 0) -> Response:
        m = _PATH.fullmatch(req.path)
        version = (m.group(1) if m else None) or API_VERSION
        return Response(status, graph_json(body), "application/json; charset=UTF-8",
                        [("facebook-api-version", version), *(headers or [])], items)

    def fields(self, req: Request, known: frozenset[str], default: str,
               node: str) -> tuple[Field, ...] | Response:
        """The `fields` asked for (Graph's default set without it), or the error for them."""
        try:
            fields = parse_fields(req.arg("fields") or default)
        except FieldsError as exc:
            return self.error(req, 400, str(exc), 2500)
        unknown = next((f.name for f in fields if f.name not in known), None)
        if unknown is not None:
            return self.bad_parameter(req, f"Tried accessing nonexisting field ({unknown}) on node "
                                      f"type ({node})")
        return fields

    def window(self, req: Request) -> tuple[int | None, int | None] | Response:
        """since/until as unix seconds or a date Graph can read, in ms."""
        out = []
        for name in ("since", "until"):
            raw = (req.arg(name) or "").strip()
            ms = int(raw) * 1000 if raw.isdigit() else parse_time(raw) if raw else None
            if raw and ms is None:
                return self.bad_parameter(req, f"The parameter {name} must be a unix timestamp or a "
                                          "strtotime data value")
            out.append(ms)
        return out[0], out[1]

    def paged(self, req: Request, items: Sequence[tuple[int, Any]], render: Callable[[Any], dict], *,
              descending: bool, gap: bool = False) -> Response:
        """One cursor page of `items` (key, item) in serving order. `gap`: the first page is
        empty but has a next one, as when privacy filtering removed all it held."""
        raw = req.arg("limit", str(LIMIT_DEFAULT)) or ""
        if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
            return self.bad_parameter(req, f"The limit parameter must be between 1 and {LIMIT_MAX}")
        after, start = req.arg("after"), TOP if descending else 0
        try:
            threshold = CODEC.decode(after) if after else start
        except BadCursor:
            return self.bad_parameter(req, "The after cursor is invalid")
        if (gap and after is None) or self.faults.page_fault(self.name, req.path, "empty_page_with_cursor"):
            return self.page(req, [], CODEC.respell(after) if after else CODEC.encode(start, 1))
        rest = [(k, it) for k, it in items if (k < threshold if descending else k > threshold)]
        chosen = rest[:int(raw)]
        nxt = CODEC.encode(chosen[-1][0]) if len(rest) > len(chosen) and chosen else None
        docs = [render(it) for _, it in chosen]
        repeat = self.faults.pop_duplicate(self.name, after)
        if nxt is not None and self.faults.page_fault(self.name, req.path, "duplicate_item"):
            self.faults.push_duplicate(self.name, nxt, docs[0])
        if repeat is not None:
            docs = [repeat, *docs]
        cursors = (CODEC.encode(chosen[0][0]), CODEC.encode(chosen[-1][0])) if chosen else None
        return self.page(req, docs, nxt, cursors)

    def page(self, req: Request, docs: list, nxt: str | None,
             cursors: tuple[str, str] | None = None) -> Response:
        body: dict = {"data": docs}
        paging: dict = {}
        if cursors:
            paging["cursors"] = {"before": cursors[0], "after": cursors[1]}
        if nxt:
            pairs = [(k, v) for k, vs in req.query.items() if k not in ("after", "before") for v in vs]
            paging["next"] = f"{req.base_url}{req.path}?{urlencode([*pairs, ('after', nxt)])}"
        if paging:
            body["paging"] = paging
        return self.json(req, body, items=len(docs))
