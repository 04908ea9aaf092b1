"""Reddit: application-only OAuth, `/search` (also `/r/{sub}/search`) and `/user/{name}/about`.

Quirks served on purpose: every JSON string has `&`, `<`, `>` escaped unless `raw_json=1`;
`created_utc` is a float; a Listing envelope whose `after` is a `t3_` fullname and null on
the last page; paths work with and without `.json`; `X-Ratelimit-Remaining` is a float
string and `X-Ratelimit-Reset` counts seconds; a 429 carries Retry-After.

Post ids are base36 of 2 * (ms - 2015-01-01), so they grow with time like real ones and an
`after` anchor decodes to a position even when it names no post (odd numbers).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from extract.simulator.faults import FaultRule
from extract.simulator.jsontext import Raw, Slot, Template
from extract.simulator.platforms import (
    BadCursor,
    Codec,
    Endpoint,
    Platform,
    RateWindow,
    Request,
    Response,
    find_urls,
    html_escape,
    json_response,
    missing_headers,
)
from extract.simulator.query import Query, parse_query, visible_top
from extract.simulator.world import (
    B36,
    DAY_MS,
    HOUR_MS,
    KEY_SHIFT,
    REDDIT_EPOCH_MS,
    Author,
    Post,
    ascii_fold,
    base36,
    engagement,
    from_alphabet,
    stable_seed,
)

TIME_FILTERS = {"hour": HOUR_MS, "day": DAY_MS, "week": 7 * DAY_MS, "month": 30 * DAY_MS,
                "year": 365 * DAY_MS}
SUBSCRIBERS = {"AskDocs": 712_000, "HealthInsurance": 98_000, "nursing": 1_100_000,
               "medicine": 640_000, "healthcare": 61_000, "Parenting": 7_400_000,
               "mildlyinfuriating": 9_800_000, "news": 29_000_000, "LocalNews": 12_000,
               "naturalremedies": 480_000, "conspiracy": 2_100_000, "AskReddit": 48_000_000,
               "personalfinance": 21_000_000, "Lakemont": 54_000}
_SLUG = re.compile(r"[^a-z0-9]+")


class RedditCodec(Codec):
    """`t3_<base36>` anchors: even numbers are posts, odd ones sit just above a post."""

    def encode(self, threshold: int) -> str:
        return "t3_" + base36(2 * ((threshold >> KEY_SHIFT) - REDDIT_EPOCH_MS))

    def _number(self, text: str) -> int:
        n = from_alphabet(text.lower().removeprefix("t3_"), B36) if text else None
        if n is None or not text.lower().startswith("t3_"):
            raise BadCursor(text)
        return n

    def decode(self, text: str) -> int:
        n = self._number(text)
        return ((n + 1) // 2 + REDDIT_EPOCH_MS) << KEY_SHIFT

    def respell(self, text: str) -> str:
        n = self._number(text)
        return "t3_" + base36(n - 1 if n % 2 == 0 else n + 1)


CODEC = RedditCodec()


def post_id(post: Post) -> str:
    return CODEC.encode(post.key).removeprefix("t3_")


def escape_json(body: bytes) -> bytes:
    """Reddit's default response encoding: &, < and > as entities in every string value.

    Done on the encoded JSON: those characters only occur inside strings there (JSON
    escapes none of them), and no key the simulator writes contains one.
    """
    return body.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def _error(status: int, message: str, headers: list[tuple[str, str]] | None = None,
           **extra: Any) -> Response:
    return json_response({**extra, "message": message, "error": status}, status, style="spaced",
                         headers=headers)


class Reddit(Platform):
    name = "reddit"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.rate = RateWindow(1000, 600)
        self._tokens = 0
        self._token_lock = threading.Lock()

    # -- routing and credentials ---------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        path = req.path.rstrip("/").removesuffix(".json")
        if path == "/api/v1/access_token" and req.method == "POST":
            return Endpoint("reddit.access_token", self.access_token, authed=False, special=True)
        if req.method != "GET":
            return None
        if path == "/search" or re.fullmatch(r"/r/[A-Za-z0-9_]+/search", path):
            return Endpoint("reddit.search", self.search)
        if re.fullmatch(r"/user/[A-Za-z0-9_-]+/about", path):
            return Endpoint("reddit.user.about", self.about)
        return None

    def unauthorized(self, req: Request) -> Response:
        return _error(401, "Unauthorized")

    def expired(self, req: Request) -> Response:
        return _error(401, "Unauthorized",
                      [("www-authenticate", 'Bearer realm="reddit", error="invalid_token"')])

    def not_found(self, req: Request) -> Response:
        return _error(404, "Not Found")

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        return self._too_many(int(rule.retry_after))

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        return self._too_many(rule.reset_s)

    def _too_many(self, seconds: int) -> Response:
        used, _, _ = self.rate.peek()
        headers = [("Retry-After", str(seconds)), ("X-Ratelimit-Used", str(max(used, 1))),
                   ("X-Ratelimit-Remaining", "0.0"), ("X-Ratelimit-Reset", str(seconds))]
        return _error(429, "Too Many Requests", headers)

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        messages = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                    504: "Gateway Timeout"}
        return _error(rule.status, messages.get(rule.status, "Server Error"))

    def rate_headers(self, req: Request, response: Response) -> list[tuple[str, str]]:
        if req.path.startswith("/api/v1/access_token"):
            return []
        used, remaining, reset_at = self.rate.hit()
        reset = max(1, int(reset_at - time.time()))
        return missing_headers(response, [("X-Ratelimit-Used", str(used)),
                                          ("X-Ratelimit-Remaining", f"{float(remaining):.1f}"),
                                          ("X-Ratelimit-Reset", str(reset))])

    # -- endpoints ----------------------------------------------------------------------------

    def access_token(self, req: Request) -> Response:
        scheme, _, value = (req.header("Authorization") or "").partition(" ")
        try:
            user, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user = secret = ""
        if scheme.lower() != "basic" or not user or not secret:
            return _error(401, "Unauthorized")
        form = parse_qs(req.body.decode("utf-8", "replace"))
        grant = (form.get("grant_type") or [""])[0]
        if grant not in ("client_credentials", "password", "refresh_token",
                         "https://oauth.reddit.com/grants/installed_client"):
            return json_response({"error": "unsupported_grant_type"}, style="spaced")
        with self._token_lock:
            self._tokens += 1
            serial = self._tokens
        digest = hashlib.sha256(f"{user}:{serial}".encode()).digest()
        token = f"{serial:08d}-" + base64.urlsafe_b64encode(digest).decode()[:30]
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": 86400,
                              "scope": "*"}, style="spaced")

    def search(self, req: Request) -> Response:
        limit = _clamp(req.arg("limit"), 25, 1, 100)
        types = req.args("type")
        raw_q = (req.arg("q") or "").strip()
        query = parse_query(raw_q) if raw_q else Query()
        sub = None
        match = re.fullmatch(r"/r/([A-Za-z0-9_]+)/search(?:\.json)?/?", req.path)
        if match and (req.arg("restrict_sr") or "").lower() in ("1", "true", "on", "yes"):
            sub = match.group(1)
        lo = None
        window = TIME_FILTERS.get((req.arg("t") or "all").lower())
        if window:
            lo = req.now_ms - window
        results = self.world.searcher.search("reddit", query, now_ms=req.now_ms, lo_ms=lo,
                                             subreddit=sub)
        top = visible_top(req.now_ms)
        after, before = req.arg("after") or None, req.arg("before") or None
        try:
            if types and "link" not in types:
                posts, nxt = [], None
            elif before and not after:
                posts = results.newer_than(CODEC.decode(before), top, limit, closest=True)
                nxt = CODEC.encode(posts[-1].key) if posts else None
            else:
                posts, nxt = self.older_page(req, results, after, limit, top, CODEC)
        except BadCursor:
            posts, nxt = [], None
        listing = {
            "kind": "Listing",
            "data": {
                "after": nxt, "dist": len(posts), "modhash": "", "geo_filter": "",
                "facets": {}, "children": [self._link(p, req.now_ms) for p in posts],
                "before": ("t3_" + post_id(posts[0])) if posts and (after or before) else None,
            },
        }
        return self._json(req, listing, len(posts))

    def about(self, req: Request) -> Response:
        name = req.path.strip("/").split("/")[1]
        author = self.world.author_by_handle("reddit", name)
        if author is None:
            return _error(404, "Not Found")
        return self._json(req, {"kind": "t2", "data": self._user(author, req.now_ms)}, 1)

    def _json(self, req: Request, body: dict[str, Any], items: int) -> Response:
        response = json_response(body, style="spaced", items=items)
        if req.arg("raw_json") != "1":
            response.body = escape_json(response.body)
        return response

    # -- entities -----------------------------------------------------------------------------

    def _link(self, post: Post, now_ms: int) -> Raw:
        counts = engagement(post, now_ms)
        pid = post_id(post)
        sub = post.sub or "healthcare"
        permalink = f"/r/{sub}/comments/{pid}/{_slug(post.title or '')}/"
        is_self = post.ctype != "link"
        url = f"https://www.reddit.com{permalink}" if is_self else (post.link or "")
        ratio = 0.55 + ((post.h >> 4) & 0x3F) / 63 * 0.44
        if post.cat in ("complaint", "misinfo"):
            ratio = max(0.5, ratio - 0.2)
        created = float(post.ms // 1000)
        edit_at = post.ms + (1 + (post.h >> 12) % 48) * HOUR_MS // 4
        edited: float | bool = float(edit_at // 1000) if post.h % 11 == 0 and edit_at <= now_ms \
            else False
        sub_id, subscribers = _subreddit(sub)
        return LINK.render(
            sub=sub, text=post.text, author_fullname="t2_" + self.world.author_id(post.author),
            title=post.title or "", sub_prefixed=f"r/{sub}",
            thumbnail="self" if is_self else "default", edited=edited, name=f"t3_{pid}",
            ratio=round(ratio, 2), likes=counts.likes, is_self=is_self, created=created,
            domain=f"self.{sub}" if is_self else urlsplit(url).netloc,
            html=_selftext_html(post.text), no_follow=counts.likes < 2, sub_id=sub_id, id=pid,
            author=post.author.handle, replies=counts.replies, permalink=permalink, url=url,
            subscribers=subscribers, crossposts=counts.quotes // 5)

    def _user(self, author: Author, now_ms: int) -> dict[str, Any]:
        uid = self.world.author_id(author)
        followers = author.followers_at(now_ms)
        karma_link = author.statuses_at(now_ms) * 7 + followers
        karma_comment = author.statuses_at(now_ms) * 13
        icon = f"https://styles.redditmedia.com/t5_{uid}/styles/profileIcon.png"
        created = float(author.created_ms // 1000)
        return {
            "is_employee": False, "is_friend": False,
            "subreddit": {
                "default_set": True, "user_is_contributor": None, "banner_img": "",
                "user_is_banned": None, "free_form_reports": True, "community_icon": None,
                "show_media": True, "icon_color": "", "user_is_muted": None,
                "display_name": f"u_{author.handle}", "header_img": None,
                "title": author.name if author.owned else "", "over_18": False,
                "icon_size": [256, 256], "primary_color": "", "icon_img": icon,
                "description": "", "submit_link_label": "", "header_size": None,
                "restrict_posting": True, "restrict_commenting": False,
                "subscribers": followers, "submit_text_label": "", "is_default_icon": False,
                "link_flair_position": "", "display_name_prefixed": f"u/{author.handle}",
                "key_color": "", "name": "t5_" + uid, "is_default_banner": True,
                "url": f"/user/{author.handle}/", "quarantine": False, "banner_size": None,
                "user_is_moderator": None, "accept_followers": True,
                "public_description": author.bio, "link_flair_enabled": False,
                "disable_contributor_requests": False, "subreddit_type": "user",
                "user_is_subscriber": None,
            },
            "snoovatar_size": None, "awardee_karma": 0, "id": uid, "verified": True,
            "is_gold": author.verified, "is_mod": author.owned, "awarder_karma": 0,
            "has_verified_email": True, "icon_img": icon, "hide_from_robots": False,
            "link_karma": karma_link, "pref_show_snoovatar": False, "is_blocked": False,
            "total_karma": karma_link + karma_comment, "accept_chats": not author.owned,
            "name": author.handle, "created": created, "created_utc": created,
            "snoovatar_img": "", "comment_karma": karma_comment, "accept_followers": True,
            "has_subscribed": True,
        }


# A link (t3) as a search listing's child: the shape is encoded once, the per-post values
# are spliced in.
LINK = Template({"kind": "t3", "data": {
    "approved_at_utc": None, "subreddit": Slot("sub"), "selftext": Slot("text"),
    "author_fullname": Slot("author_fullname"), "saved": False, "mod_reason_title": None,
    "gilded": 0, "clicked": False, "title": Slot("title"), "link_flair_richtext": [],
    "subreddit_name_prefixed": Slot("sub_prefixed"), "hidden": False, "pwls": 6,
    "link_flair_css_class": None, "downs": 0, "thumbnail": Slot("thumbnail"),
    "edited": Slot("edited"), "hide_score": False, "name": Slot("name"), "quarantine": False,
    "upvote_ratio": Slot("ratio"), "subreddit_type": "public", "ups": Slot("likes"),
    "total_awards_received": 0, "media_embed": {}, "is_original_content": False,
    "secure_media": None, "is_reddit_media_domain": False, "is_meta": False, "category": None,
    "link_flair_text": None, "score": Slot("likes"), "is_created_from_ads_ui": False,
    "author_premium": False, "author_flair_text": None, "gildings": {},
    "content_categories": None, "is_self": Slot("is_self"), "created": Slot("created"),
    "link_flair_type": "text", "wls": 6, "removed_by_category": None, "domain": Slot("domain"),
    "allow_live_comments": False, "selftext_html": Slot("html"), "likes": None,
    "suggested_sort": None, "view_count": None, "archived": False,
    "no_follow": Slot("no_follow"), "is_crosspostable": True, "pinned": False, "over_18": False,
    "all_awardings": [], "awarders": [], "media_only": False, "spoiler": False, "locked": False,
    "treatment_tags": [], "visited": False, "removed_by": None, "distinguished": None,
    "subreddit_id": Slot("sub_id"), "author_is_blocked": False, "id": Slot("id"),
    "is_robot_indexable": True, "author": Slot("author"), "num_comments": Slot("replies"),
    "send_replies": True, "contest_mode": False, "permalink": Slot("permalink"),
    "stickied": False, "url": Slot("url"), "subreddit_subscribers": Slot("subscribers"),
    "created_utc": Slot("created"), "num_crossposts": Slot("crossposts"), "media": None,
    "is_video": False,
}}, style="spaced")


@lru_cache(maxsize=256)
def _subreddit(sub: str) -> tuple[str, int]:
    """(fullname id, subscribers) of a subreddit."""
    return ("t5_" + base36(stable_seed("sub", sub) % 36**6),
            SUBSCRIBERS.get(sub, 1_000 + stable_seed(sub) % 50_000))


def _clamp(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(low, min(high, value))


def _slug(title: str) -> str:
    words = _SLUG.sub("_", ascii_fold(title).lower()).strip("_")
    return words[:50].rstrip("_") or "post"


def _selftext_html(text: str) -> str | None:
    """Reddit's rendered markdown: escaped text in <p> blocks, bare links made anchors."""
    if not text:
        return None
    paragraphs = []
    for block in (b.strip() for b in text.split("\n\n")):
        if not block:
            continue
        out, last = [], 0
        for start, end, url in find_urls(block):
            out.append(html_escape(block[last:start]))
            out.append(f'<a href="{html_escape(url)}">{html_escape(url)}</a>')
            last = end
        out.append(html_escape(block[last:]))
        paragraphs.append("<p>" + "".join(out).replace("\n", "<br/>\n") + "</p>")
    return '<!-- SC_OFF --><div class="md">' + "\n\n".join(paragraphs) + "\n</div><!-- SC_ON -->"
