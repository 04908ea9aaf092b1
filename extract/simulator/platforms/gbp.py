"""Google Business Profile: OAuth token refresh and the v4 reviews list of a location.

Served: `POST /token` (grant_type=refresh_token, as google-auth sends it) and
`GET /v4/accounts/{a}/locations/{l}/reviews?pageSize=&pageToken=&orderBy=`. Reviews come
newest-updated first (`updateTime desc`, the only order the connector asks for; `rating` and
`rating desc` are accepted too), at most 50 a page, with `averageRating`,
`totalReviewCount` and `nextPageToken` (absent on the last page).

Quirks served on purpose: `comment` absent on rating-only reviews, anonymous reviewers with
an empty display name, `reviewReply` appearing, changing and disappearing between nights,
RFC 3339 times with 0-9 fractional digits; 429 RESOURCE_EXHAUSTED; a 403 when the project's
quota is 0 (API access not approved yet), whose message says so; and `drop_page2`, Google's
documented flaw that pages after the first can miss reviews.
"""

from __future__ import annotations

import hashlib
import re
import threading
from urllib.parse import parse_qs

from extract.simulator.faults import FaultRule
from extract.simulator.platforms import (
    BadCursor,
    Endpoint,
    OpaqueCodec,
    Platform,
    RateWindow,
    Request,
    Response,
    json_response,
)
from extract.simulator.platforms.youtube import google_error
from extract.simulator.reviews import ReviewWorld, review_json, stars

PAGE_MAX = 50
ORDERS = ("updateTime desc", "rating", "rating desc")
CODEC = OpaqueCodec("CiA")
_REVIEWS = re.compile(r"/v4/(accounts/[^/]+/locations/[^/]+)/reviews")
REVIEW_START_MS = 1_748_736_000_000  # 2025-06-01: the simulated locations' first reviews


class Gbp(Platform):
    name = "gbp"

    def __init__(self, ctx, reviews: ReviewWorld | None = None):
        super().__init__(ctx)
        self.rate = RateWindow(300, 60)
        self.reviews = reviews or ReviewWorld(seed=7, start_ms=REVIEW_START_MS, per_day=3.0)
        self.drop_page2 = False  # set by tests and the control API: page 2+ omit a review
        self.quota_zero = False  # the project's quota is 0: every call answers 403
        self._issued: set[str] = set()
        self._lock = threading.Lock()

    # -- routing and credentials ---------------------------------------------------------

    def route(self, req: Request) -> Endpoint | None:
        if req.path == "/token" and req.method == "POST":
            return Endpoint("gbp.token", self.token, authed=False, special=True)
        if req.method == "GET" and _REVIEWS.fullmatch(req.path):
            return Endpoint("gbp.reviews.list", self.list_reviews)
        return None

    def credential(self, req: Request) -> str | None:
        token = req.bearer()
        with self._lock:
            return token if token in self._issued else None

    def unauthorized(self, req: Request) -> Response:
        return google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 "
                            "access token, login cookie or other valid authentication credential.",
                            "authError", status="UNAUTHENTICATED")

    def expired(self, req: Request) -> Response:
        return self.unauthorized(req)

    def not_found(self, req: Request) -> Response:
        return google_error(404, "Requested entity was not found.", "notFound", status="NOT_FOUND")

    def rate_limited(self, req: Request, rule: FaultRule) -> Response:
        return google_error(429, "Resource has been exhausted (e.g. check quota).", "rateLimitExceeded",
                            status="RESOURCE_EXHAUSTED")

    def server_error(self, req: Request, rule: FaultRule) -> Response:
        return google_error(rule.status or 503, "The service is currently unavailable.", "backendError",
                            status="UNAVAILABLE")

    def quota_exhausted(self, req: Request, rule: FaultRule) -> Response:
        return _quota_zero()

    def admit(self, req: Request, endpoint: Endpoint) -> Response | None:
        return _quota_zero() if self.quota_zero and endpoint.name == "gbp.reviews.list" else None

    # -- handlers ----------------------------------------------------------------------------

    def token(self, req: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        refresh = form.get("refresh_token", "")
        if form.get("grant_type") != "refresh_token" or not refresh.startswith("sim-refresh-") \
                or not form.get("client_id") or not form.get("client_secret"):
            return json_response({"error": "invalid_grant",
                                  "error_description": "Token has been expired or revoked."}, 400)
        access = "ya29.sim-" + hashlib.sha256(f"{refresh}:{req.now_ms}".encode()).hexdigest()[:32]
        with self._lock:
            self._issued.add(access)
        return json_response({"access_token": access, "expires_in": 3599, "token_type": "Bearer",
                              "scope": "https://www.googleapis.com/auth/business.manage"})

    def list_reviews(self, req: Request) -> Response:
        location = _REVIEWS.fullmatch(req.path).group(1)
        size = req.arg("pageSize", str(PAGE_MAX)) or str(PAGE_MAX)
        if not size.isdigit() or not 1 <= int(size) <= PAGE_MAX:
            return google_error(400, f"Invalid value at 'page_size' ({size})", "badRequest",
                                status="INVALID_ARGUMENT")
        order = req.arg("orderBy", "updateTime desc")
        if order not in ORDERS:
            return google_error(400, f"Invalid order_by: {order}", "badRequest", status="INVALID_ARGUMENT")
        try:
            offset = CODEC.decode(req.arg("pageToken")) if req.arg("pageToken") else 0
        except BadCursor:
            return google_error(400, "Invalid page token.", "badRequest", status="INVALID_ARGUMENT")
        reviews = self.reviews.reviews(location, req.now_ms)
        if order != "updateTime desc":
            reviews = sorted(reviews, key=lambda r: (stars(r.star_rating), r.review_id),
                             reverse=order == "rating desc")
        page = reviews[offset:offset + int(size)]
        if self.drop_page2 and offset > 0 and page:
            page = page[1:]  # a later page misses a review (Google documents it)
        body: dict = {"reviews": [review_json(location, r) for r in page]}
        rated = [stars(r.star_rating) for r in reviews if stars(r.star_rating)]
        if rated:
            body["averageRating"] = round(sum(rated) / len(rated), 1)
        body["totalReviewCount"] = len(reviews)
        if offset + int(size) < len(reviews):
            body["nextPageToken"] = CODEC.encode(offset + int(size))
        return json_response(body, style="pretty", items=len(page))


def _quota_zero() -> Response:
    return google_error(403, "Request had insufficient quota for quota metric 'Requests' and limit "
                        "'Requests per minute' of service 'mybusiness.googleapis.com': the quota "
                        "limit value is 0 (API access for this project has not been approved).",
                        "rateLimitExceeded", status="PERMISSION_DENIED")
