"""Mastodon (one instance): tag timeline, v2 search, account lookup and account statuses.

Quirks served on purpose: string snowflake ids; sanitised HTML `content` (paragraphs,
`mention hashtag` links, h-card mentions, links split into invisible/ellipsis spans); a
`Link` header with absolute URLs (the Host the request used plus the /mastodon prefix) on
every non-empty page, and `[]` without Link at the end; offset paging on v2 search, which
needs a token; `X-RateLimit-Reset` as ISO-8601 with microseconds; a 429 without Retry-After.

Status ids are key << 4, so ids grow with time and the low bits are free for a second
spelling of the same position (used by the empty-page fault).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote, urlencode

from extract.simulator.faults import FaultRule
from extract.simulator.platforms import (
    BadCursor,
    Codec,
    Endpoint,
    Platform,
    RateWindow,
    Request,
    Response,
    etag,
    find_hashtags,
    find_mentions,
    find_urls,
    html_escape,
    iso_date,
    iso_micros,
    iso_millis,
    json_response,
    missing_headers,
)
from extract.simulator.query import Query, parse_query, visible_top
from extract.simulator.world import (
    DAY_MS,
    KEY_SHIFT,
    MASTODON_INSTANCE,
    Author,
    Post,
    engagement,
)

MENTION_RE = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]+(?:@[A-Za-z0-9.-]+[A-Za-z0-9])?)")
MEDIA_TYPES = {"image": 1, "infographic": 1, "carousel": 3, "video": 1}
TIMELINE_KEEP = ("local", "limit", "only_media")
STATUS_KEEP = ("limit", "exclude_replies", "exclude_reblogs", "only_media", "pinned", "tagged")
BLURHASH = "UeKUpFxuo~R%0nW;WCnhF6RjaJt757oJodS$"


class MastodonCodec(Codec):
    """max_id values: a status id (key << 4) or the same position spelled one lower."""

    def encode(self, threshold: int) -> str:
        return str(threshold << 4)

    def decode(self, text: str) -> int:
        if not text.isdigit():
            raise BadCursor(text)
        return (int(text) + 15) >> 4

    def respell(self, text: str) -> str:
        n = int(text)
        return str(n - 1 if n % 2 == 0 else n + 1)


CODEC = MastodonCodec()


def status_id(post: Post) -> str:
    return str(post.key << 4)


def _error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response({"error": message}, status, headers=headers)


class Mastodon(Platform):
    name = "mastodon"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.rate = RateWindow(300, 300)

    # -- routing and credentials ---------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        if req.method != "GET":
            return None
        path = req.path.rstrip("/")
        if path.startswith("/api/v1/timelines/tag/") and path.count("/") == 5:
            return Endpoint("mastodon.timelines.tag", self.tag_timeline, authed=False)
        if path == "/api/v2/search":
            return Endpoint("mastodon.search", self.search)
        if path == "/api/v1/accounts/lookup":
            return Endpoint("mastodon.accounts.lookup", self.lookup, authed=False)
        match = re.fullmatch(r"/api/v1/accounts/(\d+)(/statuses)?", path)
        if match:
            if match.group(2):
                return Endpoint("mastodon.accounts.statuses", self.account_statuses, authed=False)
            return Endpoint("mastodon.accounts", self.account, authed=False)
        return None

    def unauthorized(self, req: Request) -> Response:
        return _error(401, "This method requires an authenticated user")

    def expired(self, req: Request) -> Response:
        challenge = ('Bearer realm="Doorkeeper", error="invalid_token", '
                     'error_description="The access token is invalid"')
        return _error(401, "The access token is invalid", [("WWW-Authenticate", challenge)])

    def not_found(self, req: Request) -> Response:
        return _error(404, "Record not found")

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        return self._too_many(rule.retry_after)

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        return self._too_many(rule.reset_s)

    def _too_many(self, seconds: float) -> Response:
        headers = [("X-RateLimit-Limit", str(self.rate.limit)), ("X-RateLimit-Remaining", "0"),
                   ("X-RateLimit-Reset", iso_micros(time.time() + seconds))]
        return _error(429, "Too many requests", headers)

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        messages = {500: "We're sorry, but something went wrong on our end.",
                    503: "Service Unavailable"}
        return _error(rule.status, messages.get(rule.status, "Bad Gateway"))

    def rate_headers(self, req: Request, response: Response) -> list[tuple[str, str]]:
        _, remaining, reset_at = self.rate.hit()
        return missing_headers(response, [("X-RateLimit-Limit", str(self.rate.limit)),
                                          ("X-RateLimit-Remaining", str(remaining)),
                                          ("X-RateLimit-Reset", iso_micros(reset_at))])

    # -- endpoints ----------------------------------------------------------------------------

    def tag_timeline(self, req: Request) -> Response:
        tag = req.path.rstrip("/").rsplit("/", 1)[1].lstrip("#").lower()
        positives = [("#", tag)] + [("#", t.lstrip("#").lower()) for t in req.args("any")]
        negatives = [("#", t.lstrip("#").lower()) for t in req.args("none")]
        query = Query(tuple(sorted(set(positives))), tuple(sorted(set(negatives))))
        results = self.world.searcher.search("mastodon", query, now_ms=req.now_ms)
        path = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
        return self._linked_page(req, results, path, TIMELINE_KEEP)

    def account_statuses(self, req: Request) -> Response:
        author = self.world.author_by_id("mastodon", req.path.strip("/").split("/")[3])
        if author is None:
            return self.not_found(req)
        results = self.world.searcher.search("mastodon", Query(match_all=True), now_ms=req.now_ms,
                                             authors=[author])
        path = f"/api/v1/accounts/{self.world.author_id(author)}/statuses"
        return self._linked_page(req, results, path, STATUS_KEEP)

    def _linked_page(self, req: Request, results, path: str, keep: tuple[str, ...]) -> Response:
        limit = _clamp(req.arg("limit"), 20, 1, 40)
        top = visible_top(req.now_ms)
        max_id, min_id, since_id = req.arg("max_id"), req.arg("min_id"), req.arg("since_id")
        cursor = None
        try:
            if min_id or since_id:
                newer = (min_id or since_id or "0")
                if not newer.isdigit():
                    raise BadCursor(newer)
                posts = results.newer_than(int(newer) >> 4, top, limit, closest=bool(min_id))
                if max_id:
                    posts = [p for p in posts if p.key < CODEC.decode(max_id)]
            else:
                posts, cursor = self.older_page(req, results, max_id or None, limit, top, CODEC)
        except BadCursor:
            return _error(422, "Validation failed: max_id is not a valid id")
        headers = []
        if posts or cursor:
            headers.append(("Link", self._link(req, path, keep, posts, cursor)))
        body = [self._status(p, req.now_ms) for p in posts]
        return json_response(body, headers=headers, items=len(posts))

    def _link(self, req: Request, path: str, keep: tuple[str, ...], posts: list[Post],
              cursor: str | None) -> str:
        kept = [(k, v) for k in keep for v in req.query.get(k, [])]
        base = f"{req.base_url}{path}"
        # The next link always points past this page (even the last one); only an empty
        # page ends a walk, which is exactly Mastodon's behaviour.
        next_id = cursor if not posts else status_id(posts[-1])
        links = [f'<{base}?{urlencode([*kept, ("max_id", next_id)])}>; rel="next"']
        if posts:
            links.append(f'<{base}?{urlencode([*kept, ("min_id", status_id(posts[0]))])}>; '
                         'rel="prev"')
        return ", ".join(links)

    def search(self, req: Request) -> Response:
        q = (req.arg("q") or "").strip()
        if not q:
            return _error(400, "Validation failed: q is missing")
        types = req.args("type") or ["accounts", "hashtags", "statuses"]
        limit = _clamp(req.arg("limit"), 20, 1, 40)
        offset = _clamp(req.arg("offset"), 0, 0, 10_000)
        accounts: list[dict[str, Any]] = []
        hashtags: list[dict[str, Any]] = []
        statuses: list[dict[str, Any]] = []
        if "accounts" in types and offset == 0:
            found = self.world.author_by_handle("mastodon", q)
            if found is not None:
                accounts.append(self._account(found, req.now_ms))
        if "hashtags" in types and offset == 0 and re.fullmatch(r"#?\w+", q):
            name = q.lstrip("#")
            hashtags.append({"name": name, "url": f"https://{MASTODON_INSTANCE}/tags/{name.lower()}",
                             "history": [], "following": False})
        if "statuses" in types:
            statuses = self._search_statuses(req, q, limit, offset)
        body = {"accounts": accounts, "statuses": statuses, "hashtags": hashtags}
        return json_response(body, items=len(statuses) + len(accounts))

    def _search_statuses(self, req: Request, q: str, limit: int,
                         offset: int) -> list[dict[str, Any]]:
        authors = None
        account_id = req.arg("account_id")
        if account_id:
            found = self.world.author_by_id("mastodon", account_id)
            authors = [found] if found is not None else []
        query = parse_query(q)
        results = self.world.searcher.search("mastodon", query, now_ms=req.now_ms,
                                             authors=authors)
        signature = repr((query.key, account_id))
        start = max(0, offset + self.faults.shift(self.name, signature, offset))
        posts, more = results.from_offset(visible_top(req.now_ms), start, limit)
        if more and posts and self.faults.page_fault(self.name, req.path, "duplicate_item"):
            self.faults.add_shift(self.name, signature, offset + limit)
        return [self._status(p, req.now_ms) for p in posts]

    def lookup(self, req: Request) -> Response:
        author = self.world.author_by_handle("mastodon", req.arg("acct") or "")
        if author is None:
            return self.not_found(req)
        return json_response(self._account(author, req.now_ms), items=1)

    def account(self, req: Request) -> Response:
        author = self.world.author_by_id("mastodon", req.path.strip("/").split("/")[3])
        if author is None:
            return self.not_found(req)
        return json_response(self._account(author, req.now_ms), items=1)

    # -- entities -----------------------------------------------------------------------------

    def _status(self, post: Post, now_ms: int) -> dict[str, Any]:
        counts = engagement(post, now_ms)
        author = post.author
        sid = status_id(post)
        domain = author.remote or MASTODON_INSTANCE
        username = _username(author)
        reply = post.reply_to
        content, mentions, tags = self._content(post.text)
        status: dict[str, Any] = {
            "id": sid, "created_at": iso_millis(post.ms),
            "in_reply_to_id": status_id(reply) if reply else None,
            "in_reply_to_account_id": self.world.author_id(reply.author) if reply else None,
            "sensitive": False, "spoiler_text": "", "visibility": "public",
            "language": post.lang,
            "uri": f"https://{domain}/users/{username}/statuses/{sid}",
            "url": f"https://{domain}/@{username}/{sid}",
            "replies_count": counts.replies, "reblogs_count": counts.shares,
            "favourites_count": counts.likes, "quotes_count": counts.quotes,
            "edited_at": None, "content": content, "reblog": None,
        }
        if author.remote is None:
            status["application"] = {"name": "Web", "website": None}
        status.update({
            "account": self._account(author, now_ms),
            "media_attachments": self._media(post),
            "mentions": mentions, "tags": tags, "emojis": [],
            "card": self._card(post), "poll": None,
        })
        return status

    def _content(self, text: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        """Mastodon's sanitised HTML for plain text, plus the mentions and tags it holds."""
        spans: list[tuple[int, int, str]] = []
        mentions: dict[str, dict[str, Any]] = {}
        tags: dict[str, dict[str, Any]] = {}
        for start, end, url in find_urls(text):
            spans.append((start, end, _link_html(url)))
        for start, end, tag in find_hashtags(text):
            lower = tag.lower()
            href = f"https://{MASTODON_INSTANCE}/tags/{lower}"
            tags.setdefault(lower, {"name": lower, "url": href})
            spans.append((start, end, f'<a href="{href}" class="mention hashtag" rel="tag">'
                                      f"#<span>{html_escape(tag)}</span></a>"))
        for start, end, acct in find_mentions(text, MENTION_RE):
            author = self.world.author_by_handle("mastodon", acct)
            if author is None:
                continue
            username = _username(author)
            url = f"https://{author.remote or MASTODON_INSTANCE}/@{username}"
            mentions.setdefault(acct.lower(), {"id": self.world.author_id(author),
                                               "username": username, "url": url,
                                               "acct": _acct(author)})
            spans.append((start, end, f'<span class="h-card" translate="no"><a href="{url}" '
                                      f'class="u-url mention">@<span>{html_escape(username)}'
                                      "</span></a></span>"))
        spans.sort()
        out, last = [], 0
        for start, end, html in spans:
            if start < last:
                continue
            out.append(_escape_text(text[last:start]))
            out.append(html)
            last = end
        out.append(_escape_text(text[last:]))
        body = "".join(out)
        paragraphs = [p.replace("\n", "<br />") for p in body.split("\n\n") if p.strip()]
        return "".join(f"<p>{p}</p>" for p in paragraphs), list(mentions.values()), list(
            tags.values())

    def _media(self, post: Post) -> list[dict[str, Any]]:
        count = MEDIA_TYPES.get(post.ctype, 0)
        if post.ctype == "carousel":
            count = 2 + post.h % 3
        media = []
        for i in range(count):
            mid = str((post.key << 4) + i + 1)
            path = f"media_attachments/files/{mid[:3]}/{mid[3:6]}/{mid[6:9]}"
            video = post.ctype == "video"
            ext = "mp4" if video else "png"
            meta: dict[str, Any] = {"original": {"width": 1280, "height": 720, "size": "1280x720",
                                                 "aspect": 1.7777777777777777}}
            if video:
                seconds = 15 + post.h % 90
                meta["original"].update(frame_rate="30/1", duration=float(seconds))
                meta.update(length=f"0:00:{seconds:02d}" if seconds < 60 else
                            f"0:01:{seconds - 60:02d}", duration=float(seconds), fps=30)
            meta["small"] = {"width": 640, "height": 360, "size": "640x360",
                             "aspect": 1.7777777777777777}
            description = None
            if post.ctype == "infographic":
                description = "Infographic: " + post.text.split(". ")[0][:120]
            elif post.h >> (i + 3) & 1:
                description = f"Photo from {post.author.name}"
            media.append({
                "id": mid, "type": "video" if video else "image",
                "url": f"https://files.{MASTODON_INSTANCE}/{path}/original/{etag(mid)[:16]}.{ext}",
                "preview_url": f"https://files.{MASTODON_INSTANCE}/{path}/small/{etag(mid)[:16]}.png",
                "remote_url": None, "preview_remote_url": None, "text_url": None, "meta": meta,
                "description": description, "blurhash": BLURHASH,
            })
        return media

    def _card(self, post: Post) -> dict[str, Any] | None:
        if not post.link or post.ctype not in ("link", "text", "reply"):
            return None
        provider = post.link.split("/")[2]
        return {"url": post.link, "title": f"{provider} | {post.text.split('. ')[0][:60]}",
                "description": "", "language": "en", "type": "link", "author_name": "",
                "author_url": "", "provider_name": provider, "provider_url": "", "html": "",
                "width": 400, "height": 210, "image": None, "image_description": "",
                "embed_url": "", "blurhash": None, "published_at": None, "authors": []}

    def _account(self, author: Author, now_ms: int) -> dict[str, Any]:
        username = _username(author)
        domain = author.remote or MASTODON_INSTANCE
        account_id = self.world.author_id(author)
        avatar = (f"https://files.{MASTODON_INSTANCE}/accounts/avatars/{account_id[:3]}/"
                  f"{account_id[3:6]}/original/{etag(account_id)[:16]}.png")
        fields = []
        if author.verified:
            site = f"{username}.example"
            fields.append({"name": "Website", "value": _link_html(f"https://{site}", rel="me"),
                           "verified_at": iso_millis(author.created_ms + 30 * DAY_MS)})
        if author.kind == "clinician":
            fields.append({"name": "Credentials", "value": html_escape(author.bio.split(".")[0]),
                           "verified_at": None})
        return {
            "id": account_id, "username": username, "acct": _acct(author),
            "display_name": author.name, "locked": False, "bot": author.kind == "news",
            "discoverable": True, "indexable": True, "group": False,
            "created_at": iso_date(author.created_ms) + "T00:00:00.000Z",
            "note": f"<p>{html_escape(author.bio)}</p>" if author.bio else "",
            "url": f"https://{domain}/@{username}", "uri": f"https://{domain}/users/{username}",
            "avatar": avatar, "avatar_static": avatar,
            "header": f"https://{MASTODON_INSTANCE}/headers/original/missing.png",
            "header_static": f"https://{MASTODON_INSTANCE}/headers/original/missing.png",
            "followers_count": author.followers_at(now_ms),
            "following_count": author.following, "statuses_count": author.statuses_at(now_ms),
            "last_status_at": iso_date(now_ms), "hide_collections": False,
            "emojis": [], "fields": fields,
        }


def _username(author: Author) -> str:
    return author.handle.split("@")[0]


def _acct(author: Author) -> str:
    username = _username(author)
    return f"{username}@{author.remote}" if author.remote else username


def _clamp(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(low, min(high, value))


def _escape_text(text: str) -> str:
    return html_escape(text).replace('"', "&quot;").replace("'", "&#39;")


def _link_html(url: str, rel: str = "nofollow noopener") -> str:
    """Mastodon's link markup: scheme hidden, 30 visible characters, the rest hidden."""
    scheme, _, rest = url.partition("://")
    prefix = f"{scheme}://"
    if rest.startswith("www."):
        prefix, rest = prefix + "www.", rest[4:]
    visible, hidden = rest[:30], rest[30:]
    cls = "ellipsis" if hidden else ""
    return (f'<a href="{html_escape(url)}" target="_blank" rel="{rel} noreferrer" translate="no">'
            f'<span class="invisible">{html_escape(prefix)}</span>'
            f'<span class="{cls}">{html_escape(visible)}</span>'
            f'<span class="invisible">{html_escape(hidden)}</span></a>')


__all__ = ["CODEC", "KEY_SHIFT", "Mastodon", "status_id"]
