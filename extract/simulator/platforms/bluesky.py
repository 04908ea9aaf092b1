"""Bluesky (a PDS proxying the AppView): sessions, searchPosts and getProfiles.

Quirks served on purpose: app-password sessions with JWT-shaped tokens and refreshSession;
`searchPosts` filtered by `since`/`until` on indexedAt, paged by an opaque cursor that is
absent on the last page, refused without a session when a cursor is sent; facets indexed
in UTF-8 bytes; post authors as profileViewBasic (verification, no follower counts) while
getProfiles (at most 25 actors) has the counts; RateLimit-* headers with an epoch reset;
an expired access token answered with 400 ExpiredToken.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from typing import Any

from extract.simulator.faults import FaultRule
from extract.simulator.platforms import (
    BadCursor,
    Endpoint,
    OpaqueCodec,
    Platform,
    RateWindow,
    Request,
    Response,
    find_hashtags,
    find_mentions,
    find_urls,
    iso_millis,
    json_response,
    missing_headers,
    parse_time,
    utf8_offsets,
)
from extract.simulator.query import Query, parse_query, visible_top
from extract.simulator.world import (
    B32,
    B32_SORT,
    HOUR_MS,
    Author,
    Post,
    engagement,
    stable_seed,
    to_alphabet,
)

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+)")
CURSORS = OpaqueCodec("", alphabet="b36")
VERIFIER = "did:plc:z72i7hdynmk6r22z27h6tvur"
MEDIA_COUNT = {"image": 1, "infographic": 1, "carousel": 3}


def _error(status: int, name: str, message: str,
           headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response({"error": name, "message": message}, status, headers=headers)


def tid(post: Post) -> str:
    """The record key: a TID (microseconds << 10 | clock id) in base32-sortable."""
    micros = post.ms * 1000 + (post.low >> 1)
    return to_alphabet((micros << 10) | (post.h & 0x3FF), 13, B32_SORT)


def cid_for(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return "bafyrei" + to_alphabet(int.from_bytes(digest, "big") >> 4, 52, B32)


def _b64url(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Bluesky(Platform):
    name = "bluesky"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.rate = RateWindow(3000, 300)
        self._sessions = 0
        self._session_lock = threading.Lock()
        self._basic: dict[Author, dict[str, Any]] = {}

    # -- routing and credentials ---------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        nsid = req.path.rstrip("/").removeprefix("/xrpc/")
        if req.method == "POST" and nsid == "com.atproto.server.createSession":
            return Endpoint("bluesky.createSession", self.create_session, authed=False,
                            special=True)
        if req.method == "POST" and nsid == "com.atproto.server.refreshSession":
            return Endpoint("bluesky.refreshSession", self.refresh_session, authed=False,
                            special=True)
        if req.method != "GET":
            return None
        handlers = {"app.bsky.feed.searchPosts": self.search_posts,
                    "app.bsky.actor.getProfiles": self.get_profiles,
                    "app.bsky.actor.getProfile": self.get_profile}
        handler = handlers.get(nsid)
        if handler is None:
            return None
        return Endpoint(f"bluesky.{nsid.rsplit('.', 2)[-2]}.{nsid.rsplit('.', 1)[-1]}", handler,
                        authed=False)

    def unauthorized(self, req: Request) -> Response:
        return _error(401, "AuthenticationRequired", "Authentication Required")

    def expired(self, req: Request) -> Response:
        return _error(400, "ExpiredToken", "Token has expired")

    def not_found(self, req: Request) -> Response:
        return _error(501, "MethodNotImplemented", "Method Not Implemented")

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        return self._too_many(int(rule.retry_after))

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        return self._too_many(rule.reset_s)

    def _too_many(self, seconds: int) -> Response:
        headers = [("RateLimit-Limit", str(self.rate.limit)), ("RateLimit-Remaining", "0"),
                   ("RateLimit-Reset", str(int(time.time()) + seconds)),
                   ("RateLimit-Policy", f"{self.rate.limit};w={self.rate.window_s}"),
                   ("Retry-After", str(seconds))]
        return _error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        names = {502: "UpstreamFailure", 503: "NotEnoughResources", 504: "UpstreamTimeout"}
        return _error(rule.status, names.get(rule.status, "InternalServerError"),
                      "Internal Server Error")

    def rate_headers(self, req: Request, response: Response) -> list[tuple[str, str]]:
        _, remaining, reset_at = self.rate.hit()
        return missing_headers(response, [
            ("RateLimit-Limit", str(self.rate.limit)), ("RateLimit-Remaining", str(remaining)),
            ("RateLimit-Reset", str(int(reset_at))),
            ("RateLimit-Policy", f"{self.rate.limit};w={self.rate.window_s}")])

    # -- sessions -----------------------------------------------------------------------------

    def create_session(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict) or "identifier" not in body or "password" not in body:
            missing = "identifier" if not isinstance(body, dict) or "identifier" not in body \
                else "password"
            return _error(400, "InvalidRequest", f'Input must have the property "{missing}"')
        identifier, password = str(body["identifier"]).strip(), str(body["password"]).strip()
        if not identifier or not password:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self._session(identifier.lstrip("@").lower())

    def refresh_session(self, req: Request) -> Response:
        token = req.bearer()
        if not token:
            return self.unauthorized(req)
        if self.faults.is_expired(self.name, token) or not self.faults.refresh_allowed(self.name):
            return _error(400, "ExpiredToken", "Token has expired")
        subject = _jwt_subject(token)
        if subject is None:
            return _error(400, "InvalidToken", "Token could not be verified")
        did, handle = subject
        return self._session(handle, did)

    def _session(self, handle: str, did: str | None = None) -> Response:
        author = self.world.author_by_handle("bluesky", handle)
        if did is None:
            did = self.world.author_id(author) if author is not None else \
                "did:plc:" + to_alphabet(stable_seed("session", handle) << 56, 24, B32)
        with self._session_lock:
            self._sessions += 1
            serial = self._sessions
        now = int(time.time())
        access = self._jwt({"typ": "at+jwt", "alg": "ES256K"},
                           {"scope": "com.atproto.appPass", "sub": did, "hdl": handle,
                            "iat": now, "exp": now + 7200, "aud": "did:web:bsky.social"}, serial)
        refresh = self._jwt({"typ": "refresh+jwt", "alg": "ES256K"},
                            {"scope": "com.atproto.refresh", "sub": did, "hdl": handle,
                             "aud": "did:web:bsky.social", "jti": f"{serial:012d}",
                             "iat": now, "exp": now + 90 * 86400}, serial)
        return json_response({"did": did, "didDoc": {"id": did}, "handle": handle,
                              "email": f"{handle.split('.')[0]}@example.org",
                              "emailConfirmed": True, "emailAuthFactor": False,
                              "accessJwt": access, "refreshJwt": refresh, "active": True})

    def _jwt(self, header: dict[str, Any], payload: dict[str, Any], serial: int) -> str:
        signature = hashlib.sha512(f"{payload}{serial}".encode()).digest()[:64]
        return f"{_b64url(header)}.{_b64url(payload)}.{_b64url(signature)}"

    # -- searchPosts --------------------------------------------------------------------------

    def search_posts(self, req: Request) -> Response:
        q = req.arg("q")
        if q is None:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        raw_limit = req.arg("limit") or "25"
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            return _error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        limit = int(raw_limit)
        cursor = req.arg("cursor") or None
        if cursor and not req.bearer():
            return _error(403, "AuthenticationRequired",
                          "Authentication is required to page through search results")
        bounds = []
        for name in ("since", "until"):
            raw = req.arg(name)
            moment = parse_time(raw)
            if raw and moment is None:
                return _error(400, "InvalidRequest", f"Error: {name} must be a valid datetime")
            bounds.append(moment)
        authors = None
        if req.arg("author"):
            author = self._actor(req.arg("author") or "")
            authors = [author] if author is not None else []
        query = parse_query(q) if q.strip() else Query()
        langs = tuple(req.args("lang"))
        results = self.world.searcher.search("bluesky", query, now_ms=req.now_ms, lo_ms=bounds[0],
                                             hi_ms=bounds[1], authors=authors, langs=langs)
        top = visible_top(req.now_ms, bounds[1])
        try:
            posts, nxt = self.older_page(req, results, cursor, limit, top, CURSORS)
        except BadCursor:
            return _error(400, "InvalidRequest", "Error: invalid cursor")
        body: dict[str, Any] = {"posts": [self._post_view(p, req.now_ms) for p in posts]}
        if nxt:
            body["cursor"] = nxt
        body["hitsTotal"] = results.count_hint(top)
        return json_response(body, items=len(posts))

    # -- profiles -----------------------------------------------------------------------------

    def get_profiles(self, req: Request) -> Response:
        actors = req.args("actors")
        if not actors:
            return _error(400, "InvalidRequest", 'Error: Params must have the property "actors"')
        if len(actors) > 25:
            return _error(400, "InvalidRequest",
                          "Error: actors must not have more than 25 elements")
        found = (self._actor(a) for a in dict.fromkeys(actors))
        profiles = [self._profile_detailed(a, req.now_ms) for a in found if a is not None]
        return json_response({"profiles": profiles}, items=len(profiles))

    def get_profile(self, req: Request) -> Response:
        author = self._actor(req.arg("actor") or "")
        if author is None:
            return _error(400, "InvalidRequest", "Profile not found")
        return json_response(self._profile_detailed(author, req.now_ms), items=1)

    def _actor(self, text: str) -> Author | None:
        text = text.strip()
        if text.startswith("did:"):
            return self.world.author_by_id("bluesky", text)
        return self.world.author_by_handle("bluesky", text)

    # -- entities -----------------------------------------------------------------------------

    def _post_view(self, post: Post, now_ms: int) -> dict[str, Any]:
        author = post.author
        did = self.world.author_id(author)
        rkey = tid(post)
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        counts = engagement(post, now_ms)
        record: dict[str, Any] = {"$type": "app.bsky.feed.post",
                                  "createdAt": iso_millis(self._created(post))}
        embed_record, embed_view = self._embed(post, did)
        if embed_record:
            record["embed"] = embed_record
        facets = self._facets(post.text)
        if facets:
            record["facets"] = facets
        record["langs"] = [post.lang]
        if post.reply_to is not None:
            parent = post.reply_to
            ref = {"cid": self._cid(parent), "uri": self._uri(parent)}
            record["reply"] = {"parent": ref, "root": ref}
        record["text"] = post.text
        view: dict[str, Any] = {"uri": uri, "cid": self._cid(post),
                                "author": self._profile_basic(author), "record": record}
        if embed_view:
            view["embed"] = embed_view
        view.update({"bookmarkCount": counts.bookmarks, "replyCount": counts.replies,
                     "repostCount": counts.shares, "likeCount": counts.likes,
                     "quoteCount": counts.quotes, "indexedAt": iso_millis(post.ms),
                     "labels": []})
        return view

    def _created(self, post: Post) -> int:
        """createdAt is the client's claim: usually a moment before indexing, sometimes
        hours off (a wrong device clock)."""
        if post.h % 97 == 0:
            return post.ms - (1 + post.h % 5) * HOUR_MS
        return post.ms - 40 - (post.h >> 8) % 2500

    def _uri(self, post: Post) -> str:
        return f"at://{self.world.author_id(post.author)}/app.bsky.feed.post/{tid(post)}"

    def _cid(self, post: Post) -> str:
        return cid_for(self.world.seed, post.key, post.text)

    def _facets(self, text: str) -> list[dict[str, Any]]:
        """Rich-text facets; indices are UTF-8 byte offsets (start inclusive, end exclusive)."""
        at = utf8_offsets(text)
        found: list[tuple[int, int, dict[str, Any]]] = []
        for start, end, url in find_urls(text):
            found.append((start, end, {"$type": "app.bsky.richtext.facet#link", "uri": url}))
        for start, end, tag in find_hashtags(text):
            found.append((start, end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
        for start, end, handle in find_mentions(text, MENTION_RE):
            author = self.world.author_by_handle("bluesky", handle)
            if author is not None:
                found.append((start, end, {"$type": "app.bsky.richtext.facet#mention",
                                           "did": self.world.author_id(author)}))
        found.sort(key=lambda f: f[0])
        return [{"features": [feature], "index": {"byteEnd": at(end), "byteStart": at(start)}}
                for start, end, feature in found]

    def _embed(self, post: Post, did: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if post.ctype in MEDIA_COUNT:
            count = 2 + post.h % 3 if post.ctype == "carousel" else 1
            records, views = [], []
            for i in range(count):
                blob = cid_for("img", post.key, i).replace("bafyrei", "bafkrei")
                alt = ("Infographic: " + post.text.split(". ")[0][:100]
                       if post.ctype == "infographic" else "" if post.h >> (i + 5) & 1 else
                       f"Photo from {post.author.name}")
                ratio = {"height": 675, "width": 1200}
                records.append({"alt": alt, "aspectRatio": ratio, "image": {
                    "$type": "blob", "ref": {"$link": blob}, "mimeType": "image/jpeg",
                    "size": 90_000 + post.h % 400_000}})
                views.append({"thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{blob}@jpeg",
                              "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{blob}@jpeg",
                              "alt": alt, "aspectRatio": ratio})
            return ({"$type": "app.bsky.embed.images", "images": records},
                    {"$type": "app.bsky.embed.images#view", "images": views})
        if post.ctype == "video":
            blob = cid_for("video", post.key).replace("bafyrei", "bafkrei")
            ratio = {"height": 1920, "width": 1080}
            return ({"$type": "app.bsky.embed.video", "aspectRatio": ratio, "video": {
                        "$type": "blob", "ref": {"$link": blob}, "mimeType": "video/mp4",
                        "size": 2_000_000 + post.h % 9_000_000}},
                    {"$type": "app.bsky.embed.video#view", "cid": blob,
                     "playlist": f"https://video.bsky.app/watch/{did}/{blob}/playlist.m3u8",
                     "thumbnail": f"https://video.bsky.app/watch/{did}/{blob}/thumbnail.jpg",
                     "aspectRatio": ratio})
        if post.link and post.ctype in ("link", "text"):
            external = {"description": "", "title": post.text.split(". ")[0][:80],
                        "uri": post.link}
            return ({"$type": "app.bsky.embed.external", "external": external},
                    {"$type": "app.bsky.embed.external#view", "external": dict(external)})
        return None, None

    def _verification(self, author: Author) -> dict[str, Any]:
        if not author.verified:
            return {"verifications": [], "verifiedStatus": "none",
                    "trustedVerifierStatus": "none"}
        rkey = to_alphabet(stable_seed("verify", author.idx, author.kind) >> 1, 13, B32_SORT)
        return {"verifications": [{"issuer": VERIFIER,
                                   "uri": f"at://{VERIFIER}/app.bsky.graph.verification/{rkey}",
                                   "isValid": True,
                                   "createdAt": iso_millis(author.created_ms + 400 * 86_400_000)}],
                "verifiedStatus": "valid", "trustedVerifierStatus": "none"}

    def _avatar(self, author: Author, did: str) -> str:
        return f"https://cdn.bsky.app/img/avatar/plain/{did}/{cid_for('avatar', did)[:32]}@jpeg"

    def _profile_basic(self, author: Author) -> dict[str, Any]:
        """profileViewBasic. Nothing in it depends on the clock, and the authors of a page of
        posts are the profiles a client asks for next, so it is kept per author (and never
        mutated: responses share it)."""
        got = self._basic.get(author)
        if got is None:
            if len(self._basic) >= 100_000:
                self._basic.clear()
            did = self.world.author_id(author)
            got = self._basic[author] = {
                "did": did, "handle": author.handle, "displayName": author.name,
                "avatar": self._avatar(author, did),
                "associated": {"chat": {"allowIncoming": "following"}}, "labels": [],
                "createdAt": iso_millis(author.created_ms),
                "verification": self._verification(author)}
        return got

    def _profile_detailed(self, author: Author, now_ms: int) -> dict[str, Any]:
        basic = self._profile_basic(author)
        return {"did": basic["did"], "handle": author.handle, "displayName": author.name,
                "description": author.bio, "avatar": basic["avatar"],
                "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False,
                               "chat": {"allowIncoming": "following"}},
                "labels": [], "createdAt": basic["createdAt"],
                "indexedAt": iso_millis(author.created_ms + 3_600_000),
                "verification": basic["verification"],
                "followersCount": author.followers_at(now_ms),
                "followsCount": author.following, "postsCount": author.statuses_at(now_ms)}


def _jwt_subject(token: str) -> tuple[str, str] | None:
    """(did, handle) from a token this simulator issued; None for anything else."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(data["sub"]), str(data.get("hdl") or "")
    except (IndexError, ValueError, KeyError, TypeError):
        return None
