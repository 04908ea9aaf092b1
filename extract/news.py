"""News connector: the configured RSS 2.0 / Atom feeds, and GDELT DOC 2.0 article search per brand.

Feed shards (`kind="feed"`, `handles[0]` the feed URL): one conditional GET per night, the
`If-None-Match`/`If-Modified-Since` of the feed's last successful fetch on an earlier night
(kept under `ConnectorContext.state_dir`, written only once the runner has committed the page
that carried them, so a crash can never leave validators for content that did not land; a
rerun of a night, or a backfill, reads the whole feed). feedparser reads the text fetched here
(it never fetches): the body is the feed as it read it plus, per entry, `article_id` (the hash
of the canonical link, `carepulse.urls`; of the guid or the text when there is no usable link)
and a plain-text summary; `document` keeps the XML itself, since the envelope stores the body
and not the verbatim text. A 304 lands with no entries: the feed was read and had nothing new.
A malformed but complete feed (feedparser's `bozo`) keeps its entries and the flag; a feed cut
short, or a 200 that is no feed at all (an HTML error page), is malformed evidence and retried.
feedparser is given the text as UTF-8 (httpx decoded it), so an XML declaration naming another
encoding is not obeyed twice.

Mentions shards: `GET {endpoint}?query=("a" OR "b") -"excluded"&mode=ArtList&format=json&
maxrecords=250&sort=DateDesc&startdatetime=...&enddatetime=...` (inclusive bounds, to the
second, UTC), then `mode=ToneChart` for the same query and window: ArtList has no tone, and
the warehouse gives an article the tone bin whose top articles list it. GDELT's quirks:
- it answers at most 250 articles, so a full window is searched again in halves (on quarter
  hours, GDELT's `seendate` step) down to 15 minutes, and only unsaturated windows land;
- it searches the last three months: an older start is clipped, an older window skipped;
- `{}` means no match (a page with no records; ToneChart is then skipped);
- errors arrive as plain text with HTTP 200: the one-request-per-5-seconds notice is a rate
  limit (5 s and more before the retry), a rejected query fails the shard with GDELT's words,
  anything else that is not JSON is malformed evidence and retried;
- titles may carry raw control characters or `\\'`: the JSON is read leniently, the verbatim
  text is kept as received.
Phrases GDELT refuses (under 3 characters, or one too-common word) are left out of the query.

GDELT is paced by `min_request_interval_s`; the feeds live on other hosts and are not.
The credential is a contact e-mail address, sent in the User-Agent (not a secret).

Cursors: feed `{"landed": true}` (the page is on disk: nothing is left but remembering its
validators); mentions `{"windows": [[start, end], ...], "next": "artlist"|"tonechart"}`: the
windows still to search (split ones included), so a resume repeats exactly those requests.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import unescape
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import httpx

from carepulse.urls import article_id, canonical_link, text_id
from extract import items
from extract._query import as_utc, quoted
from extract.base import ConnectorContext, Page, Shard
from extract.errors import AuthFailed, ShardFailed
from extract.http import Fetched, HttpSession, Verdict, default_verdict
from extract.landing import atomic_write

log = logging.getLogger("extract.news")

PLATFORM = "news"
FEED = "news.feed"
ARTLIST = "news.gdelt.artlist"
TONECHART = "news.gdelt.tonechart"
MAX_RECORDS = 250
SEARCHABLE = timedelta(days=90)  # GDELT DOC searches a rolling three months
FLOOR = timedelta(minutes=15)  # GDELT's seendate step: a smaller window cannot be split
STEP = 900  # seconds: windows split on quarter hours
STAMP = "%Y%m%d%H%M%S"
RATE_WAIT_S = 5.0  # "one request every 5 seconds"
SECOND = timedelta(seconds=1)
CONTACT = re.compile(r"[^@\s<>()\"]+@[^@\s<>()\"]+\.[^@\s<>()\"]+")
# single words GDELT refuses as too common (it answers with an error, not with noise)
COMMON = frozenset({"health", "hospital", "hospitals", "clinic", "clinics", "medical", "care",
                    "doctor", "doctors", "news", "the", "and", "new", "center", "centre"})
RATE_LIMITED = re.compile(r"limit requests to one every", re.I)
QUERY_ERROR = re.compile(r"phrase is too short|too common|^invalid|parentheses may only|"
                         r"must be surrounded by|too short or too long", re.I)
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, "
               "text/xml;q=0.8, */*;q=0.5")
XML_UTF8 = {"content-type": "application/xml; charset=utf-8"}  # the text is already decoded
ROOT_END = re.compile(r"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>\s*$", re.I)
TAG = re.compile(r"<[^>]*>")
# a backslash escape: the valid ones, or whatever follows a stray backslash
ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt]|.?)', re.S)


class NewsConnector:
    platform = PLATFORM

    def __init__(self, ctx: ConnectorContext, transport: httpx.BaseTransport | None = None):
        self._ctx = ctx
        contact = ctx.credential.strip()
        if not CONTACT.fullmatch(contact):
            raise AuthFailed("news: the credential must be a contact e-mail address (GDELT asks "
                             "for one in the User-Agent)")
        agent = f"carepulse/{_version()} (+contact: {contact})"
        self._endpoint = ctx.config.endpoint.rstrip("/")
        gdelt = httpx.Client(transport=transport, follow_redirects=True,
                             headers={"User-Agent": agent, "Accept": "application/json"})
        feeds = httpx.Client(transport=transport, follow_redirects=True,
                             headers={"User-Agent": agent, "Accept": FEED_ACCEPT})
        self._gdelt = ctx.http_session(gdelt, self._malformed(ARTLIST))
        # feeds are other hosts: GDELT's pace does not apply to them
        self._feeds = HttpSession(ctx.platform, feeds, ctx.policy, ctx.budget, self._malformed(FEED))

    def pages(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if shard.kind == "feed":
            yield from self._feed(shard, cursor)
        elif shard.kind == "mentions":
            yield from self._search(shard, cursor)
        else:
            raise ShardFailed(f"news: shard {shard.id}: news has feed and mentions shards only")

    def stats(self) -> dict[str, float]:
        sessions = (self._gdelt, self._feeds)
        return {"requests": sum(s.requests for s in sessions), "retries": sum(s.retries for s in sessions),
                "waited_s": sum(s.waited_s for s in sessions)}

    def close(self) -> None:
        self._gdelt.client.close()
        self._feeds.client.close()

    def _malformed(self, endpoint: str):
        def keep(fetched: Fetched, meta: dict) -> None:
            self._ctx.on_malformed(fetched, {**meta, "endpoint": meta.get("endpoint") or endpoint})
        return keep

    # -- feeds ------------------------------------------------------------------------------

    def _feed(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if (cursor or {}).get("landed"):
            return  # resumed after the page was committed: nothing left to fetch
        url = shard.account
        if not url:
            raise ShardFailed(f"news: feed shard {shard.id} has no URL")
        state = FeedState(self._ctx.state_dir, shard)
        sent = state.validators()
        headers = {k: v for k, v in (("If-None-Match", sent.get("etag")),
                                     ("If-Modified-Since", sent.get("last_modified"))) if v}
        try:
            fetched = self._feeds.get(url, headers=headers, verdict=_feed_verdict,
                                      parse=lambda text: parse_feed(text, url), endpoint=FEED)
        except (ShardFailed, httpx.TooManyRedirects) as exc:
            reason = str(exc).removeprefix("news: ")
            raise ShardFailed(f"news: feed {shard.key} ({url}) could not be read: {reason}") from None
        body = feed_body(url, fetched, sent)
        yield Page.from_fetched(replace(fetched, body=body), endpoint=FEED, params=headers,
                                cursor={"landed": True}, splice=False)  # the text is XML
        state.remember(body)  # reached only once the runner has committed the page

    # -- GDELT ------------------------------------------------------------------------------

    def _search(self, shard: Shard, cursor: dict[str, Any] | None) -> Iterator[Page]:
        query = build_query(shard)
        if query is None:
            log.info("news: %s has no phrase GDELT accepts; nothing to search", shard.id)
            return
        windows = _stored_windows(cursor) or self._windows(shard)
        step = (cursor or {}).get("next", "artlist")
        while windows:
            start, end = windows[0]
            if step == "tonechart":
                fetched, params = self._gdelt_get(shard, query, "ToneChart", start, end)
                windows, step = windows[1:], "artlist"
                yield Page.from_fetched(fetched, endpoint=TONECHART, params=params,
                                        cursor=_cursor(windows, step), splice=False)
                continue
            fetched, params = self._gdelt_get(shard, query, "ArtList", start, end)
            found = items.count(ARTLIST, fetched.body)
            halves = _halves(start, end) if found >= MAX_RECORDS else None
            if halves:
                log.info("news: %s: %s..%s holds GDELT's maximum of %d articles; searching its halves",
                         shard.id, _stamp(start), _stamp(end), MAX_RECORDS)
                windows = [*halves, *windows[1:]]
                continue
            if found >= MAX_RECORDS:
                log.warning("news: %s: the %d-minute window from %s still holds %d articles; GDELT "
                            "answers no more", shard.id, FLOOR.seconds // 60, _stamp(start), found)
            if found:
                step = "tonechart"
            else:
                windows = windows[1:]  # no article, no tone to ask for
            # GDELT's JSON may need repairing (invalid escapes): the envelope re-encodes the body
            yield Page.from_fetched(fetched, endpoint=ARTLIST, params=params,
                                    cursor=_cursor(windows, step), splice=False)

    def _windows(self, shard: Shard) -> list[tuple[datetime, datetime]]:
        """The shard's window as inclusive bounds, clipped to GDELT's three months."""
        since, last = as_utc(shard.since), as_utc(shard.until) - SECOND
        oldest = _quarter_after(datetime.fromtimestamp(self._ctx.policy.clock(), UTC) - SEARCHABLE)
        if last < oldest:
            log.warning("news: %s: %s..%s is older than GDELT's three months of search; skipped",
                        shard.id, _stamp(since), _stamp(last))
            return []
        if since < oldest:
            log.info("news: %s: searching from %s (GDELT searches three months back), not %s",
                     shard.id, _stamp(oldest), _stamp(since))
            since = oldest
        return [(since, last)]

    def _gdelt_get(self, shard: Shard, query: str, mode: str, start: datetime,
                   end: datetime) -> tuple[Fetched, dict[str, Any]]:
        params: dict[str, Any] = {"query": query, "mode": mode, "format": "json"}
        if mode == "ArtList":
            params.update(maxrecords=MAX_RECORDS, sort="DateDesc")
        params.update(startdatetime=_stamp(start), enddatetime=_stamp(end))
        waits = itertools.count()
        fetched = self._gdelt.get(
            self._endpoint, params=params, verdict=_gdelt_verdict, parse=parse_gdelt,
            hint=lambda f: RATE_WAIT_S + self._ctx.policy.backoff(next(waits)),
            endpoint=ARTLIST if mode == "ArtList" else TONECHART)
        if isinstance(fetched.body, GdeltMessage):
            raise ShardFailed(f"news: GDELT rejected the query of {shard.id}: "
                              f"{fetched.body.text!r} (query: {query})")
        return fetched, params


# -- feeds ----------------------------------------------------------------------------------


class FeedState:
    """The validators of a feed's last fetch, one small file per feed under `state_dir`.

    They are used on a later night only: a rerun of a night (or a backfill) must land the
    feed's items again, not a 304 against its own earlier fetch.
    """

    def __init__(self, state_dir: Path | None, shard: Shard):
        self._path = Path(state_dir) / f"feed-{shard.key}.json" if state_dir else None
        self._url = shard.account
        self._night = as_utc(shard.since).date().isoformat()

    def _read(self) -> dict[str, Any]:
        if self._path is None or not self._path.exists():
            return {}
        try:
            state = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def validators(self) -> dict[str, str]:
        state = self._read()
        if state.get("feed_url") != self._url or str(state.get("night", "")) >= self._night:
            return {}
        return {k: state[k] for k in ("etag", "last_modified") if isinstance(state.get(k), str)}

    def remember(self, body: dict[str, Any]) -> None:
        if self._path is None or str(self._read().get("night", "")) > self._night:
            return  # a backfilled night leaves the newer night's validators alone
        state = {"feed_url": self._url, "night": self._night, "etag": body["etag"],
                 "last_modified": body["last_modified"]}
        atomic_write(self._path, json.dumps(state, sort_keys=True).encode("utf-8"), mode=0o600)


def _feed_verdict(f: Fetched) -> Verdict:
    if f.status == 304:
        return "ok"
    if f.status in (404, 410):
        return "fatal"  # the feed moved away or is gone: retrying will not bring it back
    if f.status == 200 and not f.text.strip():
        return "retry"
    return default_verdict(f)


def parse_feed(text: str, url: str) -> tuple[dict[str, Any] | None, str | None]:
    """The feed as feedparser reads `text` (never fetching); an error for a document that is no
    feed at all or was cut short (a retry can mend those; a bozo feed that is whole cannot)."""
    parsed = feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers=XML_UTF8)
    if not parsed.get("version") and not parsed.entries:
        return None, f"not a feed: {_snippet(text)}"
    if parsed.get("bozo") and not ROOT_END.search(text):
        return None, f"feed document cut short ({parsed.get('bozo_exception')})"
    feed = parsed.feed
    language = feed.get("language") or None
    return {
        "format": parsed.get("version") or None,
        "bozo": bool(parsed.get("bozo")),
        "bozo_exception": str(parsed["bozo_exception"]) if parsed.get("bozo") else None,
        "feed": {"title": _line(feed.get("title")), "link": feed.get("link") or None,
                 "language": language},
        "entries": [_entry(e, url) for e in parsed.entries],
    }, None


def _entry(e: Any, feed_url: str) -> dict[str, Any]:
    link = _link(e, feed_url)
    guid = e.get("id") or None
    title = _title(e)
    summary = _plain(e.get("summary") or _first_content(e))
    published, raw = _date(e)
    return {
        "article_id": article_id(link) or (text_id(guid) if guid else text_id(title, summary)),
        "link": link, "canonical_link": canonical_link(link), "guid": guid, "title": title,
        "summary": summary, "published": published, "published_raw": raw,
        "author": e.get("author") or None, "language": _language(e),
    }


def _link(e: Any, feed_url: str) -> str | None:
    """The entry's link; a relative `<link>` resolved against the feed, but never a guid
    feedparser took for a link (a bare id is no address)."""
    link = e.get("link") or None
    if link is None or e.get("guidislink"):
        return link
    return urljoin(feed_url, link)


def _title(e: Any) -> str | None:
    detail = e.get("title_detail") or {}
    if detail.get("type") == "text/html":
        return _plain(e.get("title"))
    return _line(e.get("title"))


def _first_content(e: Any) -> str | None:
    content = e.get("content") or []
    return content[0].get("value") if content else None


def _language(e: Any) -> str | None:
    """RSS `dc:language`, else Atom's `xml:lang` (feedparser keeps it on the text parts)."""
    if e.get("language"):
        return e["language"]
    for detail in ("title_detail", "summary_detail"):
        if (e.get(detail) or {}).get("language"):
            return e[detail]["language"]
    return None


def _date(e: Any) -> tuple[str | None, str | None]:
    """(UTC `YYYY-MM-DDTHH:MM:SSZ`, the date as the feed wrote it): published, else updated."""
    for name in ("published", "updated"):
        parsed = e.get(f"{name}_parsed")
        if parsed:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed), e.get(name)
    return None, e.get("published") or e.get("updated") or None


def _plain(html: str | None) -> str | None:
    """Text without tags and entities, whitespace collapsed."""
    if not html:
        return None
    return " ".join(unescape(TAG.sub(" ", html)).split()) or None


def _line(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


def _snippet(text: str) -> str:
    return " ".join(text.split())[:200]


def feed_body(url: str, fetched: Fetched, sent: dict[str, str]) -> dict[str, Any]:
    """The page body: the fetch, then the feed as read (a 304 has none: no entries)."""
    parsed = fetched.body if fetched.status != 304 and isinstance(fetched.body, dict) else {}
    unchanged = fetched.status == 304
    return {
        "feed_url": url,
        "http_status": fetched.status,
        "etag": _header(fetched, "etag") or (sent.get("etag") if unchanged else None),
        "last_modified": (_header(fetched, "last-modified")
                          or (sent.get("last_modified") if unchanged else None)),
        "format": parsed.get("format"),
        "bozo": parsed.get("bozo", False),
        "bozo_exception": parsed.get("bozo_exception"),
        "feed": parsed.get("feed") or {"title": None, "link": None, "language": None},
        "entries": parsed.get("entries", []),
        "document": fetched.text,
    }


def _header(fetched: Fetched, name: str) -> str | None:
    return next((v for k, v in fetched.headers.items() if k.lower() == name), None)


# -- GDELT ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GdeltMessage:
    """GDELT's plain-text answer to a request it refused (never landed)."""

    text: str


def build_query(shard: Shard) -> str | None:
    """`("a" OR "b") -"x"` of the phrases GDELT accepts, or None when none is left.
    GDELT allows parentheses only around OR'd terms."""
    terms = list(dict.fromkeys(quoted(t) for t in shard.terms if _searchable(t)))
    if not terms:
        return None
    positive = terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"
    negative = dict.fromkeys(f"-{quoted(e)}" for e in shard.exclude if _searchable(e))
    return " ".join([positive, *negative])


def _searchable(phrase: str) -> bool:
    words = " ".join(phrase.replace('"', " ").split())
    return len(words) >= 3 and words.lower() not in COMMON


def parse_gdelt(text: str) -> tuple[Any, str | None]:
    """JSON, read leniently; GDELT's known plain-text refusals as a GdeltMessage; anything
    else is malformed."""
    if text.lstrip()[:1] in ("{", "["):
        return _lenient_json(text)
    message = " ".join(text.split())
    if RATE_LIMITED.search(message) or QUERY_ERROR.search(message):
        return GdeltMessage(message), None
    return None, f"not JSON: {message[:200]}"


def _lenient_json(text: str) -> tuple[Any, str | None]:
    """Raw control characters are allowed; an invalid backslash escape is read as the
    character (`\\'`) or as a literal backslash."""
    try:
        return json.loads(text, strict=False), None
    except ValueError:
        pass
    try:
        return json.loads(ESCAPE.sub(_escape, text), strict=False), None
    except ValueError as exc:
        return None, f"invalid JSON: {exc}"


def _escape(m: re.Match[str]) -> str:
    tail = m.group(1)
    if len(tail) == 5 or (len(tail) == 1 and tail in '"\\/bfnrt'):
        return m.group(0)
    return "'" if tail == "'" else "\\\\" + tail


def _gdelt_verdict(f: Fetched) -> Verdict:
    if isinstance(f.body, GdeltMessage):
        return "rate_limited" if RATE_LIMITED.search(f.body.text) else "ok"
    if f.status == 200 and not f.text.strip():
        return "retry"
    return default_verdict(f)


def _stamp(moment: datetime) -> str:
    return as_utc(moment).strftime(STAMP)


def _unstamp(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def _quarter_after(moment: datetime) -> datetime:
    """`moment` rounded up to a quarter hour (whole seconds)."""
    seconds = int(moment.timestamp()) + (1 if moment.microsecond else 0)
    return datetime.fromtimestamp(-(-seconds // STEP) * STEP, UTC)


def _halves(start: datetime, end: datetime) -> tuple[tuple[datetime, datetime], ...] | None:
    """Two windows covering [start, end] (inclusive), split on a quarter hour; None when the
    window is too short to split."""
    span = int((end - start).total_seconds()) + 1
    if span < 2 * FLOOR.seconds:
        return None
    mid = start + timedelta(seconds=span // 2 // STEP * STEP)
    return (start, mid - SECOND), (mid, end)


def _cursor(windows: list[tuple[datetime, datetime]], step: str) -> dict[str, Any] | None:
    if not windows:
        return None
    return {"windows": [[_stamp(s), _stamp(e)] for s, e in windows], "next": step}


def _stored_windows(cursor: dict[str, Any] | None) -> list[tuple[datetime, datetime]]:
    stored = (cursor or {}).get("windows")
    if not isinstance(stored, list):
        return []
    windows = [(_unstamp(w[0]), _unstamp(w[1])) for w in stored
               if isinstance(w, list | tuple) and len(w) == 2]
    return [(s, e) for s, e in windows if s is not None and e is not None and s <= e]


def _version() -> str:
    try:
        return metadata.version("carepulse")
    except metadata.PackageNotFoundError:
        return "0"
