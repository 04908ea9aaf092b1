"""YouTube Data API v3: search, videos, channels and commentThreads (list methods).

Quirks served on purpose: `part`/`id` as repeated keys or comma lists; the API key from
`x-goog-api-key` or `key`; maxResults bounds answered with a Google-format 400; statistics
counts as strings (a comment's likeCount as an integer); HTML-entity-escaped snippets in
search results; HTML `textDisplay` by default; an opaque `nextPageToken` missing on the
last page; quota counted per key and per Pacific day, with the exact quotaExceeded body.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from extract.simulator.faults import FaultRule
from extract.simulator.jsontext import Raw, Slot, Template
from extract.simulator.platforms import (
    BadCursor,
    Context,
    Endpoint,
    OpaqueCodec,
    Platform,
    Request,
    Response,
    etag,
    html_entities,
    iso_z,
    json_response,
    parse_time,
)
from extract.simulator.query import Query, parse_query, visible_top
from extract.simulator.world import (
    FLAG_COMMENTS_OFF,
    FLAG_LIKES_HIDDEN,
    Author,
    Comment,
    Post,
    engagement,
)

try:
    from zoneinfo import ZoneInfo

    PACIFIC: Any = ZoneInfo("America/Los_Angeles")
except Exception:  # no tz database: fixed PST is close enough for a quota day
    PACIFIC = UTC

CONTENT_TYPE = "application/json; charset=UTF-8"
QUOTA_MESSAGE = ("The request cannot be completed because you have exceeded your "
                 "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.")
VIDEO_PARTS = frozenset({"id", "snippet", "statistics", "contentDetails", "status", "player",
                         "topicDetails", "recordingDetails", "localizations",
                         "liveStreamingDetails", "paidProductPlacementDetails"})
CHANNEL_PARTS = frozenset({"id", "snippet", "statistics", "contentDetails", "brandingSettings",
                           "status", "topicDetails", "localizations", "auditDetails",
                           "contentOwnerDetails"})
THREAD_PARTS = frozenset({"id", "snippet", "replies"})
SEARCH_PARTS = frozenset({"id", "snippet"})
TOKENS = OpaqueCodec("C")
COMMENT_TOKENS = OpaqueCodec("Q")
_LINK = re.compile(r"https?://[^\s<]+")


class QuotaBook:
    """Units spent per API key per Pacific day, against a daily limit."""

    def __init__(self, daily_limit: int = 1_000_000, costs: dict[str, int] | None = None):
        self.daily_limit = daily_limit
        self.costs = {"search": 100, **(costs or {})}
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str], int] = {}

    def cost(self, resource: str) -> int:
        return self.costs.get(resource, 1)

    def spend(self, key: str, resource: str, now_ms: int) -> bool:
        """Spend the call's units; False (nothing spent) when they would exceed the limit."""
        day = datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(PACIFIC).date().isoformat()
        units = self.cost(resource)
        with self._lock:
            used = self._used.get((key, day), 0)
            if used + units > self.daily_limit:
                return False
            self._used[(key, day)] = used + units
            return True

    def used(self) -> dict[str, int]:
        with self._lock:
            out: dict[str, int] = {}
            for (key, day), units in self._used.items():
                out[f"{key[:4]}…@{day}"] = units
            return out

    def reset(self) -> None:
        with self._lock:
            self._used.clear()


def google_error(code: int, message: str, reason: str, domain: str = "global", *,
                 status: str | None = None, location: str | None = None,
                 details: list | None = None,
                 headers: list[tuple[str, str]] | None = None) -> Response:
    entry: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        entry.update(location=location, locationType="parameter")
    error: dict[str, Any] = {"code": code, "message": message, "errors": [entry]}
    if status:
        error["status"] = status
    if details:
        error["details"] = details
    return json_response({"error": error}, code, style="pretty", content_type=CONTENT_TYPE,
                         headers=headers)


def _bad_value(name: str, value: str, low: int, high: int) -> Response:
    return google_error(400, f"Invalid value '{value}'. Values must be within the range: "
                        f"[{low}, {high}]", "invalidParameter", "youtube.parameter",
                        status="INVALID_ARGUMENT", location=name)


class YouTube(Platform):
    name = "youtube"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.quota = QuotaBook()

    # -- routing and credentials -------------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        resource = req.path.rstrip("/").removeprefix("/youtube").removeprefix("/v3/")
        handlers = {"search": self.search, "videos": self.videos, "channels": self.channels,
                    "commentThreads": self.comment_threads}
        handler = handlers.get(resource)
        if handler is None or req.method != "GET":
            return None
        return Endpoint(f"youtube.{resource}.list", handler, search=resource == "search")

    def credential(self, req: Request) -> str | None:
        return (req.header("x-goog-api-key") or req.arg("key") or "").strip() or None

    def admit(self, req: Request, endpoint: Endpoint) -> Response | None:
        resource = endpoint.name.split(".")[1]
        if not self.quota.spend(self.credential(req) or "", resource, req.now_ms):
            return self._quota_error()
        return None

    def unauthorized(self, req: Request) -> Response:
        return google_error(403, "The request is missing a valid API key.", "forbidden",
                            status="PERMISSION_DENIED")

    def expired(self, req: Request) -> Response:
        details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                    "metadata": {"service": "youtube.googleapis.com"}}]
        return google_error(400, "API key not valid. Please pass a valid API key.", "badRequest",
                            status="INVALID_ARGUMENT", details=details)

    def not_found(self, req: Request) -> Response:
        return google_error(404, "Not Found", "notFound", status="NOT_FOUND")

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        headers = [("Retry-After", str(int(rule.retry_after)))]
        if rule.status == 429:
            return google_error(429, "Resource has been exhausted (e.g. check quota).",
                                "rateLimitExceeded", status="RESOURCE_EXHAUSTED", headers=headers)
        return google_error(403, "The request cannot be completed because you have exceeded "
                            "your rate limit.", "rateLimitExceeded", "usageLimits",
                            headers=headers)

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        if rule.status == 500:
            return google_error(500, "Internal error encountered.", "backendError",
                                status="INTERNAL")
        return google_error(rule.status, "The service is currently unavailable.", "backendError",
                            status="UNAVAILABLE")

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        return self._quota_error()

    def _quota_error(self) -> Response:
        return google_error(403, QUOTA_MESSAGE, "quotaExceeded", "youtube.quota")

    def reset(self) -> None:
        self.quota.reset()

    # -- shared validation --------------------------------------------------------------------

    def _parts(self, req: Request, allowed: frozenset[str]) -> list[str] | Response:
        parts = req.args("part")
        if not parts:
            return google_error(400, "Required parameter: part", "required",
                                location="part", status="INVALID_ARGUMENT")
        unknown = [p for p in parts if p not in allowed]
        if unknown:
            return google_error(400, f"'{unknown[0]}'", "unknownPart", "youtube.part",
                                location="part", status="INVALID_ARGUMENT")
        return parts

    def _max_results(self, req: Request, low: int, high: int, default: int) -> int | Response:
        raw = req.arg("maxResults")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            return _bad_value("maxResults", raw, low, high)
        return value if low <= value <= high else _bad_value("maxResults", raw, low, high)

    # -- search.list ---------------------------------------------------------------------------

    def search(self, req: Request) -> Response:
        parts = self._parts(req, SEARCH_PARTS)
        if isinstance(parts, Response):
            return parts
        limit = self._max_results(req, 0, 50, 5)
        if isinstance(limit, Response):
            return limit
        bounds = []
        for name in ("publishedAfter", "publishedBefore"):
            raw = req.arg(name)
            moment = parse_time(raw)
            if raw is not None and moment is None:
                return google_error(400, f"Invalid value for {name}: {raw}", "invalidParameter",
                                    "youtube.parameter", location=name, status="INVALID_ARGUMENT")
            bounds.append(moment)
        after, before = bounds
        types = req.args("type")
        q = (req.arg("q") or "").strip()
        query = parse_query(q) if q else Query(match_all=True)
        authors = None
        channel = req.arg("channelId")
        if channel:
            owner = self.world.author_by_id("youtube", channel)
            authors = [owner] if owner is not None else []
        hi = None if before is None else before + 1
        results = self.world.searcher.search("youtube", query, now_ms=req.now_ms, lo_ms=after,
                                             hi_ms=hi, authors=authors)
        top = visible_top(req.now_ms, hi)
        token = req.arg("pageToken") or None
        try:
            if types and "video" not in types:
                posts, nxt = [], None
            else:
                posts, nxt = self.older_page(req, results, token, limit, top, TOKENS)
        except BadCursor:
            return google_error(400, "The request specifies an invalid page token.",
                                "invalidPageToken", "youtube.parameter", location="pageToken",
                                status="INVALID_ARGUMENT")
        body: dict[str, Any] = {"kind": "youtube#searchListResponse",
                                "etag": etag("search", q, token, [p.key for p in posts])}
        if nxt:
            body["nextPageToken"] = nxt
        body["regionCode"] = req.arg("regionCode") or "US"
        body["pageInfo"] = {"totalResults": min(1_000_000, results.count_hint(top)),
                            "resultsPerPage": limit}
        body["items"] = [self._search_item(p, "snippet" in parts) for p in posts]
        return json_response(body, style="pretty", content_type=CONTENT_TYPE, items=len(posts))

    def _search_item(self, post: Post, snippet: bool) -> Raw:
        vid = self.world.video_id(post)
        if not snippet:
            return SEARCH_ITEM[False].render(etag=etag("sr", vid), vid=vid)
        description = post.text.replace("\n", " ")
        if len(description) > 160:
            description = description[:157].rstrip() + "..."
        return SEARCH_ITEM[True].render(
            etag=etag("sr", vid), vid=vid, published=iso_z(post.ms),
            channel=self.world.author_id(post.author), title=html_entities(post.title or ""),
            description=html_entities(description), **_thumbnail_urls(vid),
            channel_title=html_entities(post.author.name))

    # -- videos.list ---------------------------------------------------------------------------

    def videos(self, req: Request) -> Response:
        parts = self._parts(req, VIDEO_PARTS)
        if isinstance(parts, Response):
            return parts
        if req.arg("maxResults") is not None:
            limit = self._max_results(req, 1, 50, 5)
            if isinstance(limit, Response):
                return limit
        items = []
        for vid in dict.fromkeys(req.args("id")):
            post = self.world.video_by_id(vid)
            if post is not None and post.ms <= req.now_ms:
                items.append(self._video(post, vid, parts, req.now_ms))
        body = {"kind": "youtube#videoListResponse", "etag": etag("videos", req.args("id")),
                "items": items, "pageInfo": {"totalResults": len(items),
                                             "resultsPerPage": len(items)}}
        return json_response(body, style="pretty", content_type=CONTENT_TYPE, items=len(items))

    def _video(self, post: Post, vid: str, parts: list[str], now_ms: int) -> Raw:
        values: dict[str, Any] = {"etag": etag("v", vid, now_ms), "id": vid}
        snippet, details = "snippet" in parts, "contentDetails" in parts
        tags: list[str] = []
        if snippet:
            tags = _tags(post)
            values.update(
                published=iso_z(post.ms), channel=self.world.author_id(post.author),
                title=post.title or "", description=post.text, **_thumbnail_urls(vid),
                channel_title=post.author.name, tags=tags, category=_category(post),
                lang=post.lang)
        if details:
            values.update(duration=_duration(post.dur),
                          definition="hd" if post.h & 1 or post.author.owned else "sd",
                          caption="true" if post.author.owned else "false")
        stats = self._video_stats(post, now_ms) if "statistics" in parts else None
        if stats is not None:
            values.update(stats)
        template = _video_template(snippet, bool(tags), post.h & 0x300 == 0x300,
                                   bool(post.h & 0x1C00), details, "status" in parts,
                                   None if stats is None else tuple(stats))
        return template.render(**values)

    def _video_stats(self, post: Post, now_ms: int) -> dict[str, str]:
        counts = engagement(post, now_ms)
        stats = {"viewCount": str(max(counts.views, counts.likes))}
        if not post.flags & FLAG_LIKES_HIDDEN:
            stats["likeCount"] = str(counts.likes)
        stats["favoriteCount"] = "0"
        if not post.flags & FLAG_COMMENTS_OFF:
            threads = [t for t in self.world.comments(post) if t.ms <= now_ms]
            replies = sum(1 for t in threads for c in t.replies if c.ms <= now_ms)
            stats["commentCount"] = str(len(threads) + replies)
        return stats

    # -- channels.list -------------------------------------------------------------------------

    def channels(self, req: Request) -> Response:
        parts = self._parts(req, CHANNEL_PARTS)
        if isinstance(parts, Response):
            return parts
        limit = self._max_results(req, 0, 50, 5)
        if isinstance(limit, Response):
            return limit
        filters = [f for f in ("id", "forHandle", "forUsername", "mine", "managedByMe",
                               "categoryId") if req.arg(f) is not None]
        if not filters:
            return google_error(400, "No filter selected. Expected one of: forUsername, "
                                "managedByMe, mine, id, forHandle, categoryId, hl",
                                "missingRequiredParameter", "youtube.parameter",
                                status="INVALID_ARGUMENT")
        if len(filters) > 1:
            return google_error(400, "Incompatible parameters specified in the request: "
                                + ", ".join(filters), "incompatibleParameters",
                                "youtube.parameter", status="INVALID_ARGUMENT")
        authors: list[Author] = []
        if filters[0] == "id":
            found = (self.world.author_by_id("youtube", c) for c in dict.fromkeys(req.args("id")))
            authors = [a for a in found if a is not None]
        elif filters[0] in ("forHandle", "forUsername"):
            found_one = self.world.author_by_handle("youtube", req.arg(filters[0]) or "")
            authors = [found_one] if found_one is not None else []
        body: dict[str, Any] = {"kind": "youtube#channelListResponse",
                                "etag": etag("channels", sorted(req.query.items())),
                                "pageInfo": {"totalResults": len(authors),
                                             "resultsPerPage": limit}}
        if authors:  # Google leaves `items` out altogether when nothing matched
            body["items"] = [self._channel(a, parts, req.now_ms) for a in authors]
        return json_response(body, style="pretty", content_type=CONTENT_TYPE, items=len(authors))

    def _channel(self, author: Author, parts: list[str], now_ms: int) -> Raw:
        cid = self.world.author_id(author)
        description = author.bio or ""
        hidden = not author.owned and author.idx % 20 == 7
        values: dict[str, Any] = {"etag": etag("c", cid, now_ms), "id": cid}
        if "snippet" in parts:
            values.update(
                title=author.name, description=description, custom_url=author.handle.lower(),
                published=iso_z(author.created_ms),
                thumbnail=f"https://yt3.ggpht.com/{cid}=s88-c-k-c0x00ffffff-no-rj")
        if "contentDetails" in parts:
            values["uploads"] = "UU" + cid[2:]
        if "statistics" in parts:
            followers = author.followers_at(now_ms)
            values.update(views=str(followers * 37 + author.statuses0 * 11),
                          subscribers=str(_three_significant(followers)), hidden=hidden,
                          videos=str(max(1, author.statuses_at(now_ms) // 12)))
        template = _channel_template("snippet" in parts, "contentDetails" in parts,
                                     "statistics" in parts, hidden)
        return template.render(**values)

    # -- commentThreads.list -------------------------------------------------------------------

    def comment_threads(self, req: Request) -> Response:
        parts = self._parts(req, THREAD_PARTS)
        if isinstance(parts, Response):
            return parts
        limit = self._max_results(req, 1, 100, 20)
        if isinstance(limit, Response):
            return limit
        vid = req.arg("videoId")
        if not vid:
            return google_error(400, "No filter selected. Expected one of: "
                                "allThreadsRelatedToChannelId, channelId, videoId, id",
                                "missingRequiredParameter", "youtube.parameter",
                                status="INVALID_ARGUMENT")
        post = self.world.video_by_id(vid)
        if post is None or post.ms > req.now_ms:
            message = ("The video identified by the <code><a href=\"/youtube/v3/docs/"
                       "commentThreads/list#videoId\">videoId</a></code> parameter could not "
                       "be found.")
            return google_error(404, message, "videoNotFound", "youtube.commentThread",
                                location="videoId")
        if post.flags & FLAG_COMMENTS_OFF:
            message = ("The video identified by the <code><a href=\"/youtube/v3/docs/"
                       "commentThreads/list#videoId\">videoId</a></code> parameter has "
                       "disabled comments.")
            return google_error(403, message, "commentsDisabled", "youtube.commentThread",
                                location="videoId")
        threads = [t for t in self.world.comments(post) if t.ms <= req.now_ms]
        terms = (req.arg("searchTerms") or "").lower()
        if terms:
            threads = [t for t in threads if terms in t.text.lower()]
        if req.arg("order") == "relevance":
            threads.sort(key=lambda t: (-t.likes, -t.ms))
        else:
            threads.reverse()
        token = req.arg("pageToken") or None
        try:
            page, nxt = self._thread_page(req, threads, token, limit)
        except BadCursor:
            return google_error(400, "The request specifies an invalid page token.",
                                "invalidPageToken", "youtube.parameter", location="pageToken",
                                status="INVALID_ARGUMENT")
        html = (req.arg("textFormat") or "html") != "plainText"
        body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse",
                                "etag": etag("threads", vid, token, req.now_ms)}
        if nxt:
            body["nextPageToken"] = nxt
        body["pageInfo"] = {"totalResults": len(page), "resultsPerPage": limit}
        body["items"] = [self._thread(t, post, vid, parts, html, req.now_ms) for t in page]
        return json_response(body, style="pretty", content_type=CONTENT_TYPE, items=len(page))

    def _thread_page(self, req: Request, threads: list[Comment], token: str | None,
                     limit: int) -> tuple[list[Comment], str | None]:
        offset = COMMENT_TOKENS.decode(token) if token else 0
        if self.faults.page_fault(self.name, req.path, "empty_page_with_cursor"):
            return [], COMMENT_TOKENS.respell(token or COMMENT_TOKENS.encode(0))
        page = threads[offset:offset + limit]
        nxt = COMMENT_TOKENS.encode(offset + limit) if len(threads) > offset + limit else None
        repeat = self.faults.pop_duplicate(self.name, token)
        if nxt and page and self.faults.page_fault(self.name, req.path, "duplicate_item"):
            self.faults.push_duplicate(self.name, nxt, page[0])
        return ([repeat, *page] if repeat is not None else page), nxt

    def _thread(self, thread: Comment, post: Post, vid: str, parts: list[str], html: bool,
                now_ms: int) -> dict[str, Any]:
        channel = self.world.author_id(post.author)
        replies = [c for c in thread.replies if c.ms <= now_ms]
        item: dict[str, Any] = {"kind": "youtube#commentThread", "etag": etag("t", thread.id),
                                "id": thread.id}
        if "snippet" in parts:
            item["snippet"] = {
                "channelId": channel, "videoId": vid,
                "topLevelComment": self._comment(thread, channel, vid, html),
                "canReply": True, "totalReplyCount": len(replies), "isPublic": True,
            }
        if "replies" in parts and replies:
            item["replies"] = {"comments": [self._comment(c, channel, vid, html)
                                            for c in replies[:5]]}
        return item

    def _comment(self, comment: Comment, channel: str, vid: str, html: bool) -> dict[str, Any]:
        handle = comment.author.handle
        snippet: dict[str, Any] = {
            "channelId": channel, "videoId": vid,
            "textDisplay": _comment_html(comment.text) if html else comment.text,
            "textOriginal": comment.text,
        }
        if comment.parent:
            snippet["parentId"] = comment.parent
        snippet.update({
            "authorDisplayName": handle,
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{handle[1:]}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/{handle}",
            "authorChannelId": {"value": self.world.author_id(comment.author)},
            "canRate": True, "viewerRating": "none", "likeCount": comment.likes,
            "publishedAt": iso_z(comment.ms), "updatedAt": iso_z(comment.ms),
        })
        return {"kind": "youtube#comment", "etag": etag("cm", comment.id), "id": comment.id,
                "snippet": snippet}


# Items are rendered into pre-encoded shapes, indented for a response's `items` list.
ITEM_PAD = "\n    "
THUMBNAILS = {size: {"url": Slot(f"thumb_{size}"), "width": width, "height": height}
              for size, width, height in (("default", 120, 90), ("medium", 320, 180),
                                          ("high", 480, 360))}
SEARCH_ITEM = {snippet: Template({
    "kind": "youtube#searchResult", "etag": Slot("etag"),
    "id": {"kind": "youtube#video", "videoId": Slot("vid")},
    **({"snippet": {
        "publishedAt": Slot("published"), "channelId": Slot("channel"), "title": Slot("title"),
        "description": Slot("description"), "thumbnails": THUMBNAILS,
        "channelTitle": Slot("channel_title"), "liveBroadcastContent": "none",
        "publishTime": Slot("published")}} if snippet else {}),
}, style="pretty", pad=ITEM_PAD) for snippet in (True, False)}


@lru_cache(maxsize=256)
def _video_template(snippet: bool, tags: bool, default_lang: bool, audio_lang: bool,
                    details: bool, status: bool, stats: tuple[str, ...] | None) -> Template:
    """The shape of a videos.list item: which parts, and which optional keys they have."""
    item: dict[str, Any] = {"kind": "youtube#video", "etag": Slot("etag"), "id": Slot("id")}
    if snippet:
        item["snippet"] = {
            "publishedAt": Slot("published"), "channelId": Slot("channel"),
            "title": Slot("title"), "description": Slot("description"),
            "thumbnails": THUMBNAILS, "channelTitle": Slot("channel_title"),
            **({"tags": Slot("tags")} if tags else {}), "categoryId": Slot("category"),
            "liveBroadcastContent": "none",
            **({"defaultLanguage": Slot("lang")} if default_lang else {}),
            "localized": {"title": Slot("title"), "description": Slot("description")},
            **({"defaultAudioLanguage": Slot("lang")} if audio_lang else {}),
        }
    if details:
        item["contentDetails"] = {
            "duration": Slot("duration"), "dimension": "2d", "definition": Slot("definition"),
            "caption": Slot("caption"), "licensedContent": False, "contentRating": {},
            "projection": "rectangular",
        }
    if status:
        item["status"] = {"uploadStatus": "processed", "privacyStatus": "public",
                          "license": "youtube", "embeddable": True,
                          "publicStatsViewable": True, "madeForKids": False}
    if stats is not None:
        item["statistics"] = {name: Slot(name) for name in stats}
    return Template(item, style="pretty", pad=ITEM_PAD)


@lru_cache(maxsize=16)
def _channel_template(snippet: bool, details: bool, statistics: bool,
                      hidden: bool) -> Template:
    """The shape of a channels.list item: which parts, and whether subscribers show."""
    item: dict[str, Any] = {"kind": "youtube#channel", "etag": Slot("etag"), "id": Slot("id")}
    if snippet:
        item["snippet"] = {
            "title": Slot("title"), "description": Slot("description"),
            "customUrl": Slot("custom_url"), "publishedAt": Slot("published"),
            "thumbnails": {"default": {"url": Slot("thumbnail"), "width": 88, "height": 88}},
            "localized": {"title": Slot("title"), "description": Slot("description")},
            "country": "US",
        }
    if details:
        item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": Slot("uploads")}}
    if statistics:
        item["statistics"] = {"viewCount": Slot("views"),
                              **({} if hidden else {"subscriberCount": Slot("subscribers")}),
                              "hiddenSubscriberCount": Slot("hidden"), "videoCount": Slot("videos")}
    return Template(item, style="pretty", pad=ITEM_PAD)


def _thumbnail_urls(vid: str) -> dict[str, str]:
    return {"thumb_default": f"https://i.ytimg.com/vi/{vid}/default.jpg",
            "thumb_medium": f"https://i.ytimg.com/vi/{vid}/mqdefault.jpg",
            "thumb_high": f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg"}


def _duration(seconds: int) -> str:
    td = timedelta(seconds=seconds)
    hours, rest = divmod(int(td.total_seconds()), 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return out + (f"{secs}S" if secs or out == "PT" else "")


def _tags(post: Post) -> list[str]:
    tags = [m.group(1) for m in re.finditer(r"#(\w+)", post.blob) if not m.group(1).isdigit()]
    base = ["health", "hospital"] if post.h & 4 else []
    return list(dict.fromkeys(tags + base))


def _category(post: Post) -> str:
    if post.author.owned:
        return "27"  # Education
    return {"news": "25", "clinician": "27", "micro": "26", "macro": "24"}.get(post.author.kind,
                                                                                "22")


def _three_significant(n: int) -> int:
    """Public subscriber counts are rounded down to three significant figures."""
    if n < 1000:
        return n
    scale = 10 ** (len(str(n)) - 3)
    return n // scale * scale


def _comment_html(text: str) -> str:
    escaped = html_entities(text)
    linked = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return linked.replace("\n", "<br>")

