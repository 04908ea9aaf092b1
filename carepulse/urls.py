"""News articles are keyed by their canonical link: one rule, used by the feed connector (which
writes each entry's key beside what the feed said) and by the warehouse (a DuckDB UDF keys
GDELT's articles with it), so an article found in a feed and by GDELT is one article.

A feed's `guid` is optional and often a permalink under another name, and the same article
arrives with tracking parameters, a mobile host or a trailing slash; the canonical form drops
what does not name the article.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# query parameters that track a click rather than name a page
TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "cmpid", "ref", "ocid", "taid")
MOBILE_PREFIXES = ("m.", "mobile.", "amp.")


def canonical_link(url: str | None) -> str | None:
    """The link as it names the article: https, lower-case host without www./m., no default
    port, fragment, tracking parameters, `/amp` suffix or trailing slash; other parameters
    sorted. None for something that is not an http(s) URL."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    for prefix in ("www.", *MOBILE_PREFIXES):
        host = host.removeprefix(prefix)
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    path = path.removesuffix("/amp").rstrip("/") or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith(TRACKING))
    return urlunsplit(("https", host, path, urlencode(query), ""))


def article_id(url: str | None) -> str | None:
    """The article's key: the first 32 hex digits of the sha256 of its canonical link."""
    link = canonical_link(url)
    return hashlib.sha256(link.encode("utf-8")).hexdigest()[:32] if link else None


def text_id(*parts: str | None) -> str:
    """A key for an item that has no link: the hash of what identifies it (its guid, or its
    title and summary), marked so it cannot collide with a link's."""
    joined = "\x1f".join(p.strip() for p in parts if p)
    return "t" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:31]
