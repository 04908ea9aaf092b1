"""The loopback HTTP server: the platforms (and CMS) under path prefixes, plus /_sim control.

    with SimulatorServer(cfg, seed=7, clock=datetime(2026, 11, 21, 2, tzinfo=UTC)) as sim:
        httpx.get(f"{sim.url}/x/2/tweets/search/recent", params=..., headers=...)
        sim.faults.add("x", {"kind": "rate_limit", "times": 2})

The clock is the simulator's "now": fixed when given (or set through `set_clock` or
POST /_sim/clock), otherwise the real UTC time. Posts after "now" do not exist yet and
engagement is computed as of "now", so a fixed clock gives byte-identical bodies.
Rate-limit headers use the wall clock, because clients sleep on the wall clock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from carepulse import sources
from carepulse.config import MonitoringConfig
from extract.simulator.cms import Cms
from extract.simulator.faults import FaultPlan, FaultSpecError
from extract.simulator.platforms import Context, Platform, Request, Response, dumps, iso_millis
from extract.simulator.world import World, to_ms

log = logging.getLogger("extract.simulator")

# each registered source's simulated API, served under /<name>
PLATFORM_CLASSES: dict[str, type[Platform]] = {name: sources.load(source.simulator)
                                               for name, source in sources.SOURCES.items()}
# public reference data, served the same way but no source: nothing is staged per platform
REFERENCE_APIS: dict[str, type[Platform]] = {"cms": Cms}


class Stats:
    """Requests per platform and status, items served, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[str, dict[str, Any]] = {}
        self.items: dict[str, int] = {}

    def count(self, platform: str, endpoint: str, response: Response) -> None:
        with self._lock:
            per = self.requests.setdefault(platform, {"total": 0, "by_status": {},
                                                      "by_endpoint": {}})
            per["total"] += 1
            status = str(response.status)
            per["by_status"][status] = per["by_status"].get(status, 0) + 1
            per["by_endpoint"][endpoint] = per["by_endpoint"].get(endpoint, 0) + 1
            self.items[platform] = self.items.get(platform, 0) + response.items

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {p: {"total": v["total"], "by_status": dict(v["by_status"]),
                                 "by_endpoint": dict(v["by_endpoint"])}
                             for p, v in self.requests.items()},
                "items": dict(self.items),
            }

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.items.clear()


class SimulatorServer:
    """The simulator on a background thread; `port=0` picks a free port."""

    def __init__(self, config: MonitoringConfig, *, seed: int = 7, mentions_per_night: int = 1500,
                 host: str = "127.0.0.1", port: int = 0, clock: datetime | None = None,
                 spam: bool = True):
        self.config = config
        self.world = World(config, seed=seed, mentions_per_night=mentions_per_night, spam=spam)
        self.faults = FaultPlan()
        self.stats = Stats()
        self._clock_lock = threading.Lock()
        self._clock_ms: int | None = None
        self.set_clock(clock)
        ctx = Context(self.world, self.faults, self.now_ms)
        self.platforms: dict[str, Platform] = {n: cls(ctx) for n, cls in
                                               {**PLATFORM_CLASSES, **REFERENCE_APIS}.items()}
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sim = self
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            name="carepulse-simulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    # -- clock --------------------------------------------------------------------------------

    def set_clock(self, moment: datetime | None) -> None:
        """Fix "now" (None: follow the real UTC clock again)."""
        with self._clock_lock:
            self._clock_ms = None if moment is None else to_ms(moment)

    def now_ms(self) -> int:
        with self._clock_lock:
            fixed = self._clock_ms
        return fixed if fixed is not None else int(time.time() * 1000)

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, UTC)

    def reset(self) -> None:
        """Clear faults (rules and state), counters, quota use and rate windows."""
        self.faults.clear()
        self.stats.reset()
        for platform in self.platforms.values():
            platform.reset()

    # -- requests -----------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Message, body: bytes,
               host: str | None = None) -> Response:
        """Answer one HTTP request (also usable without a socket, e.g. from a test)."""
        parts = urlsplit(target)
        path = parts.path or "/"
        if path.startswith("/_sim/") or path == "/_sim":
            return self._control(method, path, body)
        segment = path.split("/", 2)[1]
        platform = self.platforms.get(segment)
        if platform is None:
            return Response(404, dumps({"error": f"no platform at /{segment}",
                                        "platforms": sorted(self.platforms)}))
        base = f"http://{host or headers.get('Host') or self.url.removeprefix('http://')}/{segment}"
        req = Request.build(method, path[len(segment) + 1:] or "/", parts.query, headers, body,
                            base, self.now_ms())
        endpoint, response = self._serve(platform, req)
        response.headers.extend(platform.rate_headers(req, response))
        self.stats.count(segment, endpoint, response)
        return response

    def _serve(self, platform: Platform, req: Request) -> tuple[str, Response]:
        endpoint = platform.route(req)
        if endpoint is None:
            return "not_found", platform.not_found(req)
        credential = None if endpoint.special else platform.credential(req)
        if endpoint.authed and not credential:
            return endpoint.name, platform.unauthorized(req)
        # A credential that was declared expired stays rejected, even where none is needed.
        if credential and self.faults.is_expired(platform.name, credential):
            return endpoint.name, platform.expired(req)
        decision = self.faults.on_request(platform.name, req.path, search=endpoint.search,
                                          authed=bool(credential), special=endpoint.special)
        if decision.delay_s:
            time.sleep(decision.delay_s)
        rule = decision.terminal
        if rule is not None:
            if rule.kind == "expired_token":
                self.faults.expire(platform.name, credential)
                return endpoint.name, platform.expired(req)
            if rule.kind == "rate_limit":
                return endpoint.name, platform.rate_limited(req, rule)
            if rule.kind == "server_error":
                return endpoint.name, platform.server_error(req, rule)
            return endpoint.name, platform.quota_exhausted(req, rule)
        refused = platform.admit(req, endpoint)
        if refused is not None:
            return endpoint.name, refused
        response = endpoint.handler(req)
        if decision.body == "truncated" and len(response.body) > 1:
            response.body = response.body[: len(response.body) // 2]
        elif decision.body == "malformed":
            response = platform.malformed()
        return endpoint.name, response

    # -- /_sim control ------------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Response:
        action = path.removeprefix("/_sim").strip("/")
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            return _control_error("body is not JSON")
        if action == "health":
            return Response(200, dumps({"ok": True}))
        if action == "stats":
            return Response(200, dumps(self.stats_snapshot()))
        if action == "faults" and method == "POST":
            try:
                self.faults.replace(FaultPlan.from_json(payload or {}))
            except FaultSpecError as exc:
                return _control_error(str(exc))
            return Response(200, dumps({"ok": True, **self.faults.snapshot()}))
        if action == "faults":
            return Response(200, dumps(self.faults.snapshot()))
        if action == "clock" and method == "POST":
            raw = payload.get("now") if isinstance(payload, dict) else None
            try:
                moment = None if raw is None else datetime.fromisoformat(
                    str(raw).replace("Z", "+00:00"))
            except ValueError:
                return _control_error(f"not an ISO-8601 time: {raw!r}")
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            self.set_clock(moment)
            return Response(200, dumps({"ok": True, "now": iso_millis(self.now_ms()),
                                        "fixed": moment is not None}))
        if action == "clock":
            return Response(200, dumps({"now": iso_millis(self.now_ms())}))
        if action == "reset" and method == "POST":
            self.reset()
            return Response(200, dumps({"ok": True}))
        return Response(404, dumps({"error": f"unknown control endpoint {method} {path}"}))

    def stats_snapshot(self) -> dict[str, Any]:
        youtube = self.platforms.get("youtube")
        return {
            **self.stats.snapshot(),
            "faults_fired": self.faults.snapshot()["fired"],
            "youtube_quota": youtube.quota.used() if hasattr(youtube, "quota") else {},
            "clock": iso_millis(self.now_ms()),
            "world": self.world.stats(),
        }


def _control_error(message: str) -> Response:
    return Response(400, dumps({"ok": False, "error": message}))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: SimulatorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out (the slow fault) close the socket under us; not an error.
        log.debug("simulator: connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CarePulseSimulator/1.0"
    server: _HTTPServer
    # Headers and body go out in separate writes; with Nagle on, each keep-alive response
    # stalls on the client's delayed ACK (~40 ms a request on loopback).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            response = self.server.sim.handle(self.command, self.path, self.headers, body)
        except Exception:  # a bug must still produce an answer, not a hung client
            log.exception("simulator: error answering %s %s", self.command, self.path)
            response = Response(500, dumps({"error": "simulator internal error"}))
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("simulator: " + format, *args)


def serve(config: MonitoringConfig, host: str = "127.0.0.1", port: int = 8765, seed: int = 7,
          mentions_per_night: int = 1500, faults_spec: str | None = None,
          spam: bool = True) -> None:
    """Run the simulator in the foreground until interrupted (the `carepulse simulate` CLI).

    spam=False serves the world without planted bot bursts and copy-paste campaigns."""
    server = SimulatorServer(config, seed=seed, mentions_per_night=mentions_per_night, host=host,
                             port=port, spam=spam)
    server.world.freeze_gc = True  # this process is only the simulator (see World.freeze_gc)
    if faults_spec:
        server.faults.replace(FaultPlan.parse(faults_spec))
    log.info("simulator listening on %s (seed=%d, %d mentions/night, spam %s)", server.url, seed,
             mentions_per_night, "on" if spam else "off")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
