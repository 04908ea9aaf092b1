"""X API v2: GET /2/tweets/search/recent.

Quirks served on purpose: `start_time`/`end_time` must lie inside the last 7 days of the
simulator clock (and `end_time` at least 10 s in the past), else a 400 invalid-request
body; `max_results` 10-100, else the exact 400; only the requested `tweet.fields`,
`user.fields`, `media.fields` and expansions are returned; authors only through
`includes.users`; `meta.next_token` absent on the last page; zero results are
`{"meta":{"result_count":0}}` with no `data`; URLs in text are t.co links with character
offsets; two kinds of 429 (the 15-minute limit as problem+json, and UsageCapExceeded).

Tweet ids are snowflakes: ((ms - twitter epoch) << 22) | worker << 12 | low.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
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
)
from extract.simulator.query import parse_query, visible_top
from extract.simulator.world import (
    B64,
    DAY_MS,
    KEY_SHIFT,
    TWITTER_EPOCH_MS,
    Author,
    Post,
    engagement,
    splitmix,
    to_alphabet,
)

PROBLEM = "application/problem+json"
INVALID = "https://api.twitter.com/2/problems/invalid-request"
WINDOW_MS = 7 * DAY_MS
TOKENS = OpaqueCodec("b", alphabet="b36")
TWEET_FIELDS = ("article", "attachments", "author_id", "card_uri", "community_id",
                "context_annotations", "conversation_id", "created_at", "display_text_range",
                "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id",
                "in_reply_to_user_id", "lang", "media_metadata", "non_public_metrics",
                "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics",
                "public_metrics", "referenced_tweets", "reply_settings", "scopes", "source",
                "text", "withheld")
USER_FIELDS = ("affiliation", "confirmed_email", "connection_status", "created_at", "description",
               "entities", "id", "is_identity_verified", "location", "most_recent_tweet_id",
               "name", "parody", "pinned_tweet_id", "profile_banner_url", "profile_image_url",
               "protected", "public_metrics", "receives_your_dm", "subscription",
               "subscription_type", "url", "username", "verified", "verified_followers_count",
               "verified_type", "withheld")
MEDIA_FIELDS = ("alt_text", "duration_ms", "height", "media_key", "non_public_metrics",
                "organic_metrics", "preview_image_url", "promoted_metrics", "public_metrics",
                "type", "url", "variants", "width")
EXPANSIONS = ("article.cover_media", "article.media_entities", "attachments.media_keys",
              "attachments.media_source_tweet", "attachments.poll_ids", "author_id",
              "edit_history_tweet_ids", "entities.mentions.username", "geo.place_id",
              "in_reply_to_user_id", "entities.note.mentions.username", "referenced_tweets.id",
              "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id")
MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})(?!\w)")


def tweet_id(post: Post) -> str:
    ms, low = post.key >> KEY_SHIFT, post.key & 0xFFF
    return str(((ms - TWITTER_EPOCH_MS) << 22) | ((post.h >> 12) & 0x3FF) << 12 | low)


def key_of(tid: str) -> int | None:
    if not tid.isdigit():
        return None
    n = int(tid)
    return (((n >> 22) + TWITTER_EPOCH_MS) << KEY_SHIFT) | (n & 0xFFF)


def invalid(parameter: str, value: str | list[str], message: str) -> Response:
    values = value if isinstance(value, list) else [value]
    body = {"errors": [{"parameters": {parameter: values}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.", "type": INVALID}
    return json_response(body, 400)


def problem(status: int, title: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response({"title": title, "detail": title, "type": "about:blank",
                          "status": status}, status, content_type=PROBLEM, headers=headers)


class X(Platform):
    name = "x"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.rate = RateWindow(450, 900)

    # -- routing and credentials ---------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        if req.method == "GET" and req.path.rstrip("/") == "/2/tweets/search/recent":
            return Endpoint("x.tweets.search.recent", self.search_recent)
        return None

    def unauthorized(self, req: Request) -> Response:
        return problem(401, "Unauthorized")

    def expired(self, req: Request) -> Response:
        return problem(401, "Unauthorized")

    def not_found(self, req: Request) -> Response:
        return json_response({"errors": [{"message": "Sorry, that page does not exist",
                                          "code": 34}]}, 404)

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        headers = [("x-rate-limit-limit", str(self.rate.limit)), ("x-rate-limit-remaining", "0"),
                   ("x-rate-limit-reset", str(int(time.time() + rule.retry_after)))]
        return problem(429, "Too Many Requests", headers)

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        body = {"account_id": 1_587_029_345_812_345_678, "product_name": "standard-basic",
                "title": "UsageCapExceeded", "period": "Monthly", "scope": "Product",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped"}
        return json_response(body, 429, content_type=PROBLEM)

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}
        return problem(rule.status, titles.get(rule.status, "Server Error"))

    def rate_headers(self, req: Request, response: Response) -> list[tuple[str, str]]:
        _, remaining, reset_at = self.rate.hit()
        return missing_headers(response, [("x-rate-limit-limit", str(self.rate.limit)),
                                          ("x-rate-limit-remaining", str(remaining)),
                                          ("x-rate-limit-reset", str(int(reset_at)))])

    # -- search -------------------------------------------------------------------------------

    def search_recent(self, req: Request) -> Response:
        query_text = req.arg("query")
        if not query_text or not query_text.strip():
            return invalid("query", [], "The `query` query parameter can not be empty")
        if len(query_text) > 1024:
            return invalid("query", query_text, "The `query` query parameter value is too long")
        raw_max = req.arg("max_results") or "10"
        if not raw_max.isdigit() or not 10 <= int(raw_max) <= 100:
            return invalid("max_results", raw_max, f"The `max_results` query parameter value "
                           f"[{raw_max}] is not between 10 and 100")
        fields = self._fields(req)
        if isinstance(fields, Response):
            return fields
        window = self._window(req)
        if isinstance(window, Response):
            return window
        lo, hi = window
        token = req.arg("next_token") or req.arg("pagination_token") or None
        results = self.world.searcher.search("x", parse_query(query_text), now_ms=req.now_ms,
                                             lo_ms=lo, hi_ms=hi, horizon_days=8)
        top = visible_top(req.now_ms, hi)
        try:
            posts, nxt = self.older_page(req, results, token, int(raw_max), top, TOKENS)
        except BadCursor:
            name = "next_token" if req.arg("next_token") else "pagination_token"
            return invalid(name, token or "", f"The `{name}` query parameter value [{token}] "
                           "is not valid")
        tweet_fields, user_fields, media_fields, expansions = fields
        body: dict[str, Any] = {}
        if posts:
            body["data"] = [self._tweet(p, tweet_fields, req.now_ms) for p in posts]
            includes = self._includes(posts, expansions, tweet_fields, user_fields, media_fields,
                                      req.now_ms)
            if includes:
                body["includes"] = includes
        meta: dict[str, Any] = {}
        if posts:
            meta["newest_id"] = tweet_id(posts[0])
            meta["oldest_id"] = tweet_id(posts[-1])
        meta["result_count"] = len(posts)
        if nxt:
            meta["next_token"] = nxt
        body["meta"] = meta
        return json_response(body, items=len(posts))

    def _fields(self, req: Request):
        chosen = []
        for name, allowed in (("tweet.fields", TWEET_FIELDS), ("user.fields", USER_FIELDS),
                              ("media.fields", MEDIA_FIELDS), ("expansions", EXPANSIONS)):
            values = req.args(name)
            bad = [v for v in values if v not in allowed]
            if bad:
                return invalid(name, bad[0], f"The `{name}` query parameter value [{bad[0]}] is "
                               f"not one of [{','.join(allowed)}]")
            chosen.append(set(values))
        return chosen

    def _window(self, req: Request) -> tuple[int, int] | Response:
        """[start_time, end_time) within the last 7 days, as epoch ms."""
        now = req.now_ms
        floor = now - WINDOW_MS
        start_raw, end_raw = req.arg("start_time"), req.arg("end_time")
        start = parse_time(start_raw) if start_raw else floor
        end = parse_time(end_raw) if end_raw else now - 10_000
        for name, raw, value in (("start_time", start_raw, start), ("end_time", end_raw, end)):
            if raw and value is None:
                return invalid(name, raw, f"Invalid '{name}':'{raw}'. '{name}' must be a valid "
                               "RFC 3339 date-time")
        assert start is not None and end is not None
        if start < floor:
            return invalid("start_time", start_raw or "", f"Invalid 'start_time':'{start_raw}'. "
                           f"'start_time' must be on or after {_minute(floor)}")
        if end_raw and end > now - 10_000:
            return invalid("end_time", end_raw, f"Invalid 'end_time':'{end_raw}'. 'end_time' "
                           "must be a minimum of 10 seconds prior to the request time.")
        if end <= start:
            return invalid("end_time", end_raw or "", f"Invalid 'end_time':'{end_raw}'. "
                           "'end_time' must be after 'start_time'")
        since_key = key_of(req.arg("since_id") or "")
        until_key = key_of(req.arg("until_id") or "")
        if since_key is not None:
            start = max(start, (since_key >> KEY_SHIFT) + 1)
        if until_key is not None:
            end = min(end, until_key >> KEY_SHIFT)
        return start, max(start, end)

    # -- entities -----------------------------------------------------------------------------

    def _served_text(self, post: Post) -> tuple[str, list[dict[str, Any]]]:
        """Text as X shows it: links shortened to t.co, media as a trailing t.co link."""
        out, urls, last = [], [], 0
        for start, end, url in find_urls(post.text):
            out.append(post.text[last:start])
            short = _tco(post.key, url)
            offset = sum(len(part) for part in out)
            urls.append({"start": offset, "end": offset + len(short), "url": short,
                         "expanded_url": url, "display_url": _display(url)})
            out.append(short)
            last = end
        out.append(post.text[last:])
        text = "".join(out)
        keys = _media_keys(post)
        if keys:
            short = _tco(post.key, "media")
            start = len(text) + 1
            text = f"{text} {short}"
            url = f"https://x.com/{post.author.handle}/status/{tweet_id(post)}/photo/1"
            urls.append({"start": start, "end": start + len(short), "url": short,
                         "expanded_url": url, "display_url": "pic.x.com/" + short[-10:],
                         "media_key": keys[0]})
        return text, urls

    def _tweet(self, post: Post, fields: set[str], now_ms: int) -> dict[str, Any]:
        tid = tweet_id(post)
        text, urls = self._served_text(post)
        tweet: dict[str, Any] = {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}
        reply = post.reply_to
        if "author_id" in fields:
            tweet["author_id"] = self.world.author_id(post.author)
        if "created_at" in fields:
            tweet["created_at"] = iso_millis(post.ms)
        if "conversation_id" in fields:
            tweet["conversation_id"] = tweet_id(reply) if reply else tid
        if "in_reply_to_user_id" in fields and reply is not None:
            tweet["in_reply_to_user_id"] = self.world.author_id(reply.author)
        if "referenced_tweets" in fields and reply is not None:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": tweet_id(reply)}]
        if "lang" in fields:
            tweet["lang"] = post.lang
        if "possibly_sensitive" in fields:
            tweet["possibly_sensitive"] = False
        if "reply_settings" in fields:
            tweet["reply_settings"] = "everyone"
        if "attachments" in fields and _media_keys(post):
            tweet["attachments"] = {"media_keys": _media_keys(post)}
        if "display_text_range" in fields:
            tweet["display_text_range"] = [0, len(text)]
        if "edit_controls" in fields:
            tweet["edit_controls"] = {"edits_remaining": 5, "is_edit_eligible": False,
                                      "editable_until": iso_millis(post.ms + 3_600_000)}
        if "public_metrics" in fields:
            c = engagement(post, now_ms)
            tweet["public_metrics"] = {"retweet_count": c.shares, "reply_count": c.replies,
                                       "like_count": c.likes, "quote_count": c.quotes,
                                       "bookmark_count": c.bookmarks,
                                       "impression_count": max(c.views, c.likes)}
        if "entities" in fields:
            entities = self._entities(text, urls)
            if entities:
                tweet["entities"] = entities
        return tweet

    def _entities(self, text: str, urls: list[dict[str, Any]]) -> dict[str, Any]:
        entities: dict[str, Any] = {}
        mentions = []
        for start, end, username in find_mentions(text, MENTION_RE):
            author = self.world.author_by_handle("x", username)
            if author is not None:
                mentions.append({"start": start, "end": end, "username": author.handle,
                                 "id": self.world.author_id(author)})
        if mentions:
            entities["mentions"] = mentions
        hashtags = [{"start": s, "end": e, "tag": t} for s, e, t in find_hashtags(text)]
        if hashtags:
            entities["hashtags"] = hashtags
        if urls:
            entities["urls"] = urls
        return entities

    def _includes(self, posts: list[Post], expansions: set[str], tweet_fields: set[str],
                  user_fields: set[str], media_fields: set[str], now_ms: int) -> dict[str, Any]:
        users: dict[int, Author] = {}
        media: list[dict[str, Any]] = []
        tweets: list[dict[str, Any]] = []
        for post in posts:
            if "author_id" in expansions:
                users.setdefault(id(post.author), post.author)
            reply = post.reply_to
            if reply is not None and "in_reply_to_user_id" in expansions:
                users.setdefault(id(reply.author), reply.author)
            if reply is not None and "referenced_tweets.id" in expansions:
                tweets.append(self._tweet(reply, tweet_fields, now_ms))
                if "referenced_tweets.id.author_id" in expansions:
                    users.setdefault(id(reply.author), reply.author)
            if "entities.mentions.username" in expansions:
                for _, _, username in find_mentions(post.text, MENTION_RE):
                    author = self.world.author_by_handle("x", username)
                    if author is not None:
                        users.setdefault(id(author), author)
            if "attachments.media_keys" in expansions:
                media.extend(self._media(post, media_fields, now_ms))
        includes: dict[str, Any] = {}
        if users:
            includes["users"] = [self._user(a, user_fields, now_ms) for a in users.values()]
        if media:
            includes["media"] = media
        if tweets:
            includes["tweets"] = tweets
        return includes

    def _user(self, author: Author, fields: set[str], now_ms: int) -> dict[str, Any]:
        uid = self.world.author_id(author)
        user: dict[str, Any] = {"id": uid, "name": author.name, "username": author.handle}
        if "created_at" in fields:
            user["created_at"] = iso_millis(author.created_ms)
        if "description" in fields:
            user["description"] = author.bio
        if "location" in fields and author.idx % 3 == 0:
            user["location"] = ("Lakemont, USA", "Midwest", "Earth", "Chicago, IL")[author.idx % 4]
        if "profile_image_url" in fields:
            user["profile_image_url"] = f"https://pbs.twimg.com/profile_images/{uid}/avatar_normal.jpg"
        if "protected" in fields:
            user["protected"] = False
        if "url" in fields:
            user["url"] = ""
        if "verified" in fields:
            user["verified"] = author.verified
        if "verified_type" in fields:
            user["verified_type"] = author.verified_type if author.verified else "none"
        if "public_metrics" in fields:
            statuses = author.statuses_at(now_ms)
            user["public_metrics"] = {"followers_count": author.followers_at(now_ms),
                                      "following_count": author.following,
                                      "tweet_count": statuses,
                                      "listed_count": author.followers0 // 200,
                                      "like_count": statuses * 3,
                                      "media_count": statuses // 9}
        return user

    def _media(self, post: Post, fields: set[str], now_ms: int) -> list[dict[str, Any]]:
        out = []
        for key in _media_keys(post):
            video = key.startswith("7_")
            item: dict[str, Any] = {"media_key": key, "type": "video" if video else "photo"}
            if "url" in fields and not video:
                name = to_alphabet(splitmix(post.key), 15, B64)
                item["url"] = f"https://pbs.twimg.com/media/{name}.jpg"
            if "preview_image_url" in fields and video:
                item["preview_image_url"] = (f"https://pbs.twimg.com/ext_tw_video_thumb/"
                                             f"{key[2:]}/pu/img/{key[-8:]}.jpg")
            if "width" in fields:
                item["width"] = 1080 if video else 1200
            if "height" in fields:
                item["height"] = 1920 if video else 675
            if "duration_ms" in fields and video:
                item["duration_ms"] = (15 + post.h % 90) * 1000
            if "alt_text" in fields and post.ctype == "infographic":
                item["alt_text"] = "Infographic: " + post.text.split(". ")[0][:100]
            if "public_metrics" in fields and video:
                item["public_metrics"] = {"view_count": engagement(post, now_ms).views // 3}
            if "variants" in fields and video:
                item["variants"] = [{"bit_rate": 2176000, "content_type": "video/mp4",
                                     "url": f"https://video.twimg.com/ext_tw_video/{key[2:]}/pu/vid/720x1280/v.mp4"}]
            out.append(item)
        return out


def _media_keys(post: Post) -> list[str]:
    base = str(((post.key >> KEY_SHIFT) - TWITTER_EPOCH_MS) << 22 | (post.h & 0x3FFFFF))
    if post.ctype == "video":
        return [f"7_{base}"]
    if post.ctype in ("image", "infographic"):
        return [f"3_{base}"]
    if post.ctype == "carousel":
        return [f"3_{int(base) + i}" for i in range(2 + post.h % 3)]
    return []


def _tco(key: int, url: str) -> str:
    return "https://t.co/" + to_alphabet(splitmix(key ^ hash_url(url)), 10, B64.replace("-", "x")
                                         .replace("_", "Q"))


def hash_url(url: str) -> int:
    n = 0
    for ch in url:
        n = (n * 131 + ord(ch)) & 0xFFFFFFFFFFFF
    return n


def _display(url: str) -> str:
    shown = url.split("://", 1)[-1]
    return shown if len(shown) <= 26 else shown[:25] + "…"


def _minute(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")
