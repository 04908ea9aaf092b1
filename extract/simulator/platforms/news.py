"""News: the outlets' RSS 2.0 / Atom feeds and GDELT's DOC 2.0 article search.

Served: `GET /feeds/lakemont-gazette.xml` (RSS 2.0), `/feeds/valley-health.atom` (Atom 1.0),
`/feeds/lakemont-newsroom.xml` (RSS 2.0, the organisation's newsroom), each the outlet's last
20 items at the simulator clock (`extract/simulator/news.py`); `/feeds/gazette.rss` answers
301 to the gazette's feed and `/feeds/health-desk-archive.xml` 410 Gone. And
`GET /gdelt?query=&mode=ArtList|ToneChart&format=json&maxrecords=&sort=&startdatetime=&enddatetime=`.

Feed quirks served on purpose: items without `<guid>`, without `<pubDate>` or (gazette briefs)
without `<link>`; pubDates as `+0000`, `GMT`, `EST` and with a single-digit day; descriptions
in CDATA or as escaped HTML, with entities; a few Spanish items (`dc:language`, `xml:lang`);
Atom entries with `<updated>` and only sometimes `<published>`; links with `?utm_source=rss`;
ETag (weak on the Atom feed) and Last-Modified, and 304 to a matching conditional GET.

GDELT quirks: `{}` when nothing matches; at most 250 articles (`maxrecords`, default 75);
`seendate` as `20261205T141500Z`; urls on `m.`/`www.` hosts; titles with `\\'` or a raw tab
(invalid JSON); refusals as plain text with HTTP 200: a phrase under 3 characters, a lone
too-common word, parentheses around a single term, OR'd terms outside parentheses, a bad
date; the one-request-per-`min_interval_s` rule (default 0.5 s, the demo config's pace; GDELT
itself asks for 5) answered with its plain-text notice once `burst` requests have gone
through back to back (1 is GDELT's strict rule; the default lets test clients that do not
really sleep read a few nights). ToneChart bins every match of the window (`count`) and lists
up to 10 of them per bin (`toparts`), the same urls ArtList gives.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape

from extract.simulator.faults import FaultRule
from extract.simulator.news import (
    FEED_OUTLETS,
    REPORTERS,
    SEARCH_DAYS,
    Article,
    NewsWorld,
    Outlet,
    tone_bin,
)
from extract.simulator.platforms import Endpoint, Platform, Request, Response, etag
from extract.simulator.world import DAY_MS

RATE_NOTICE = ("Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com "
               "for larger queries.")
TOO_SHORT = "The specified phrase is too short."
TOO_COMMON = "Your search contained a keyword that was too common. Please refine your search."
LONE_PARENS = "Parentheses may only be used around OR'd statements."
BARE_OR = "Queries containing OR'd terms must be surrounded by ()."
COMMON = frozenset({"health", "hospital", "hospitals", "clinic", "clinics", "medical", "care",
                    "doctor", "doctors", "news", "the", "and", "new", "center", "centre"})
MAX_RECORDS = 250
TOP_PARTS = 10
REDIRECTS = {"gazette.rss": "lakemont-gazette.xml"}
GONE = frozenset({"health-desk-archive.xml"})
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
TOKEN = re.compile(r'\s*(\(|\)|-?"[^"]*"|-?[^\s()"]+)')
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class News(Platform):
    name = "news"

    def __init__(self, ctx, news: NewsWorld | None = None):
        super().__init__(ctx)
        self.news = news or NewsWorld(ctx.world.config, seed=ctx.world.seed)
        self.min_interval_s = 0.5  # GDELT's rule at the demo's pace (GDELT: 5)
        self.burst = 40  # requests let through back to back before the rule bites
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._last = time.monotonic()

    # -- routing ---------------------------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        if req.method != "GET":
            return None
        if req.path.startswith("/feeds/"):
            return Endpoint("news.feed", self.feed, authed=False)
        if req.path.rstrip("/") == "/gdelt":
            mode = (req.arg("mode") or "artlist").lower()
            return Endpoint(f"news.gdelt.{mode}", self.gdelt, authed=False)
        return None

    def unauthorized(self, req: Request) -> Response:
        return _page(401, "401 Unauthorized")

    def expired(self, req: Request) -> Response:
        return self.unauthorized(req)

    def not_found(self, req: Request) -> Response:
        return _page(404, "404 Not Found")

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        if _is_gdelt(req):
            return _text(RATE_NOTICE)
        return _page(429, "429 Too Many Requests", [("Retry-After", str(int(rule.retry_after)))])

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        return _page(rule.status or 503, f"{rule.status or 503} Service Unavailable")

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        """GDELT blocks a client that kept ignoring its notice: 429 until the block lifts."""
        return Response(429, (RATE_NOTICE + "\n").encode(), TEXT, [("Retry-After", str(rule.reset_s))])

    def admit(self, req: Request, endpoint: Endpoint) -> Response | None:
        return None if not _is_gdelt(req) or self._take() else _text(RATE_NOTICE)

    def reset(self) -> None:
        with self._lock:
            self._tokens, self._last = float(self.burst), time.monotonic()

    def _take(self) -> bool:
        """One request against the interval rule (a token bucket of `burst` tokens, one
        added every `min_interval_s` seconds of the wall clock: clients sleep on it)."""
        if self.min_interval_s <= 0:
            return True
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) / self.min_interval_s)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    # -- feeds -----------------------------------------------------------------------------

    def feed(self, req: Request) -> Response:
        name = req.path.removeprefix("/feeds/")
        if name in REDIRECTS:
            target = f"{req.base_url}/feeds/{REDIRECTS[name]}"
            return _page(301, "301 Moved Permanently", [("Location", target)])
        if name in GONE:
            return _page(410, "410 Gone")
        outlet = FEED_OUTLETS.get(name)
        if outlet is None:
            return self.not_found(req)
        articles = self.news.feed(outlet, req.now_ms)
        atom = name.endswith(".atom")
        tag = etag(name, [a.key for a in articles])
        validators = [("ETag", f'W/"{tag}"' if atom else f'"{tag}"'),
                      ("Last-Modified", _http_date(max((a.published_ms for a in articles),
                                                       default=req.now_ms)))]
        if _not_modified(req, validators[0][1], validators[1][1]):
            return Response(304, b"", RSS_TYPE, validators)
        if atom:
            document = _atom(outlet, articles, f"{req.base_url}{req.path}", req.now_ms)
        else:
            document = _rss(outlet, articles, req.now_ms)
        return Response(200, document.encode("utf-8"), ATOM_TYPE if atom else RSS_TYPE, validators,
                        items=len(articles))

    # -- GDELT -----------------------------------------------------------------------------

    def gdelt(self, req: Request) -> Response:
        query = parse_gdelt_query(req.arg("query") or "")
        if isinstance(query, str):
            return _text(query)
        window = _window(req)
        if isinstance(window, str):
            return _text(window)
        mode = (req.arg("mode") or "artlist").lower()
        if mode not in ("artlist", "tonechart"):
            return _text(f"Invalid mode: {req.arg('mode')}")
        if (req.arg("format") or "html").lower() != "json":
            return Response(200, b"<html><body>GDELT results</body></html>\n", HTML)
        found = [a for a in self.news.seen(*window, req.now_ms) if query.matches(a.text)]
        if mode == "tonechart":
            return _text(tonechart(found), "application/json; charset=utf-8", len(found))
        return self._artlist(req, found)

    def _artlist(self, req: Request, found: list[Article]) -> Response:
        size = req.arg("maxrecords") or "75"
        if not size.isdigit():
            return _text("Invalid maxrecords.")
        sort = (req.arg("sort") or "hybridrel").lower()
        if sort == "dateasc":
            found.sort(key=lambda a: (a.seen_ms, a.key))
        else:  # datedesc, and relevance (newest first here too)
            found.sort(key=lambda a: (-a.seen_ms, a.key))
        found = found[:max(1, min(int(size), MAX_RECORDS))]
        body = artlist(found)
        return _text(body, "application/json; charset=utf-8", len(found))


# -- GDELT's query language (the part the connector speaks) -----------------------------------


class GdeltQuery:
    """Every group must match (a group: one term, or OR'd terms in parentheses) and no
    negated term may; terms match whole words, case-insensitively."""

    def __init__(self, groups: list[list[str]], negated: list[str]):
        self.groups = [[_pattern(t) for t in g] for g in groups]
        self.negated = [_pattern(t) for t in negated]

    def matches(self, text: str) -> bool:
        return (all(any(p.search(text) for p in g) for g in self.groups)
                and not any(p.search(text) for p in self.negated))


def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())) + r"(?!\w)", re.I)


def parse_gdelt_query(text: str) -> GdeltQuery | str:
    """The query, or GDELT's plain-text refusal."""
    if text.count('"') % 2 or text.count("(") != text.count(")"):
        return "Invalid query: unbalanced quotes or parentheses."
    tokens = TOKEN.findall(text)
    if not tokens:
        return "Invalid query: the query is empty."
    groups: list[list[str]] = []
    negated: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == ")":
            return "Invalid query: unbalanced quotes or parentheses."
        if token == "(":
            close = tokens.index(")", i)
            inner = tokens[i + 1:close]
            if len(inner[::2]) < 2:
                return LONE_PARENS
            if len(inner) % 2 == 0 or any(t.upper() != "OR" for t in inner[1::2]):
                return "Invalid query: terms inside parentheses must be joined by OR."
            groups.append(inner[::2])
            i = close + 1
            continue
        if token.upper() == "OR":
            return BARE_OR
        if token.startswith("-"):
            negated.append(token[1:])
        else:
            groups.append([token])
        i += 1
    flat = [t for g in groups for t in g] + negated
    for term in flat:
        refusal = _refused(term)
        if refusal:
            return refusal
    if not groups:
        return "Invalid query: nothing to search for."
    return GdeltQuery([[t.strip('"') for t in g] for g in groups], [t.strip('"') for t in negated])


def _refused(term: str) -> str | None:
    words = " ".join(term.strip('"').split())
    if len(words) < 3:
        return TOO_SHORT
    if words.lower() in COMMON:
        return TOO_COMMON
    return None


def _window(req: Request) -> tuple[int, int] | str:
    """[start, end] in ms (inclusive, to the second); three months back by default."""
    bounds = []
    for name in ("startdatetime", "enddatetime"):
        value = req.arg(name)
        if value is None:
            bounds.append(None)
            continue
        try:
            moment = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return f"Invalid {name}: use YYYYMMDDHHMMSS."
        bounds.append(int(moment.timestamp() * 1000))
    start = bounds[0] if bounds[0] is not None else req.now_ms - SEARCH_DAYS * DAY_MS
    end = bounds[1] + 999 if bounds[1] is not None else req.now_ms
    return start, end


def gdelt_url(article: Article) -> str:
    """The url as GDELT has it: sometimes on the m. or www. host."""
    host = article.outlet.domain
    if article.has("m_host"):
        host = f"m.{host}"
    elif article.has("www_host"):
        host = f"www.{host}"
    return f"https://{host}{article.path}"


def _title(article: Article) -> str:
    """The title as a JSON string the way GDELT writes it, invalid escapes and all."""
    text = json.dumps(article.title, ensure_ascii=False)
    if article.has("escaped_apostrophe"):
        text = text.replace("'", "\\'")
    if article.has("raw_tab"):
        text = text.replace(" ", "\t", 1)
    return text


def _js(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def artlist(found: list[Article]) -> str:
    """ArtList JSON, one article a line; `{}` for no match."""
    if not found:
        return "{}"
    lines = []
    for a in found:
        mobile = f"https://m.{a.outlet.domain}{a.path}" if a.has("mobile_alt") and not a.has("m_host") else ""
        image = f"https://{a.outlet.domain}/images{a.path}.jpg" if a.has("image") else ""
        seen = datetime.fromtimestamp(a.seen_ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")
        lines.append(f' {{"url": {_js(gdelt_url(a))}, "url_mobile": {_js(mobile)}, '
                     f'"title": {_title(a)}, "seendate": "{seen}", "socialimage": {_js(image)}, '
                     f'"domain": {_js(a.outlet.domain)}, "language": {_js(a.language)}, '
                     f'"sourcecountry": "United States"}}')
    return '{"articles": [\n' + ",\n".join(lines) + "\n]}"


def tonechart(found: list[Article]) -> str:
    """ToneChart JSON: each tone bin's count and its newest TOP_PARTS articles; `{}` for no match."""
    if not found:
        return "{}"
    bins: dict[int, list[Article]] = {}
    for a in sorted(found, key=lambda a: (-a.seen_ms, a.key)):
        bins.setdefault(tone_bin(a), []).append(a)
    rows = []
    for b in sorted(bins):
        parts = ", ".join(f'{{"url": {_js(gdelt_url(a))}, "title": {_title(a)}}}'
                          for a in bins[b][:TOP_PARTS])
        rows.append(f' {{"bin": {b}, "count": {len(bins[b])}, "toparts": [{parts}]}}')
    return '{"tonechart": [\n' + ",\n".join(rows) + "\n]}"


# -- feed documents -----------------------------------------------------------------------------


def _rss(outlet: Outlet, articles: list[Article], now_ms: int) -> str:
    items = "".join(_rss_item(outlet, a) for a in articles)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            f"<title>{escape(outlet.name)}</title>\n<link>https://{outlet.domain}/</link>\n"
            f"<description>{escape(outlet.name)}: news from Lakemont and the valley</description>\n"
            f"<language>en-us</language>\n<lastBuildDate>{_http_date(now_ms)}</lastBuildDate>\n"
            f"{items}</channel>\n</rss>\n")


def _rss_item(outlet: Outlet, a: Article) -> str:
    link = f"{a.url}?utm_source=rss&amp;utm_medium=feed" if a.has("utm") else a.url
    parts = [f"<title>{escape(a.title, quote=False)}</title>"]
    if not a.has("no_link"):
        parts.append(f"<link>{link}</link>")
    if outlet.feed == "lakemont-newsroom.xml":
        parts.append(f'<guid isPermaLink="false">lakemont-pr-{a.key}</guid>')
    elif not a.has("no_guid"):
        parts.append(f"<guid>{a.url}</guid>" if not a.has("no_link")
                     else f'<guid isPermaLink="false">gazette-brief-{a.key}</guid>')
    if not a.has("no_date"):
        parts.append(f"<pubDate>{rfc822(a.published_ms, a.date_form)}</pubDate>")
    summary = (f"<![CDATA[{a.summary}]]>" if a.has("cdata") else escape(a.summary, quote=False))
    parts.append(f"<description>{summary}</description>")
    parts.append(f"<dc:creator>{_reporter(a)}</dc:creator>")
    if a.language == "Spanish":
        parts.append("<dc:language>es</dc:language>")
    return "<item>\n  " + "\n  ".join(parts) + "\n</item>\n"


def _atom(outlet: Outlet, articles: list[Article], self_url: str, now_ms: int) -> str:
    updated = max((_updated_ms(a) for a in articles), default=now_ms)
    entries = "".join(_atom_entry(outlet, a) for a in articles)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="en">\n<title>{escape(outlet.name)}</title>\n'
            f'<link rel="alternate" href="https://{outlet.domain}/"/>\n'
            f'<link rel="self" href="{escape(self_url)}"/>\n<id>tag:{outlet.domain},2020:feed</id>\n'
            f"<updated>{_iso(updated)}</updated>\n{entries}</feed>\n")


def _atom_entry(outlet: Outlet, a: Article) -> str:
    lang = ' xml:lang="es"' if a.language == "Spanish" else ""
    link = f"{a.url}?utm_source=rss&amp;utm_medium=feed" if a.has("utm") else a.url
    published = f"\n  <published>{_iso(a.published_ms)}</published>" if a.has("atom_published") else ""
    return (f"<entry{lang}>\n  <title>{escape(a.title, quote=False)}</title>\n"
            f'  <link rel="alternate" href="{link}"/>\n  <id>tag:{outlet.domain},2020:{a.key}</id>\n'
            f"  <updated>{_iso(_updated_ms(a))}</updated>{published}\n"
            f'  <summary type="html">{escape(a.summary, quote=False)}</summary>\n'
            f"  <author><name>{_reporter(a)}</name></author>\n</entry>\n")


def _updated_ms(a: Article) -> int:
    """An entry with <published> was edited later; one without was not."""
    return a.published_ms + (2 * 3_600_000 if a.has("atom_published") else 0)


def _reporter(a: Article) -> str:
    return REPORTERS[sum(map(ord, a.key)) % len(REPORTERS)]


def rfc822(ms: int, form: int) -> str:
    """A pubDate in one of the spellings feeds use: +0000, GMT, EST, or a single-digit day."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    zone = "+0000"
    if form == 1:
        zone = "GMT"
    elif form == 2:
        moment, zone = datetime.fromtimestamp(ms / 1000 - 5 * 3600, UTC), "EST"
    day = str(moment.day) if form == 3 else f"{moment.day:02d}"
    return (f"{DAYS[moment.weekday()]}, {day} {MONTHS[moment.month - 1]} {moment.year} "
            f"{moment:%H:%M:%S} {zone}")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_date(ms: int) -> str:
    return format_datetime(datetime.fromtimestamp(ms // 1000, UTC), usegmt=True)


def _not_modified(req: Request, tag: str, last_modified: str) -> bool:
    """If-None-Match decides when sent (weak comparison); else If-Modified-Since."""
    match = req.header("If-None-Match")
    if match is not None:
        sent = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in sent or tag.removeprefix("W/") in sent
    since = req.header("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def _is_gdelt(req: Request) -> bool:
    return req.path.rstrip("/") == "/gdelt"


def _text(body: str, content_type: str = TEXT, items: int = 0) -> Response:
    return Response(200, (body + "\n").encode("utf-8"), content_type, [], items)


def _page(status: int, title: str, headers: list[tuple[str, str]] | None = None) -> Response:
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"
    return Response(status, body.encode(), HTML, list(headers or []))
