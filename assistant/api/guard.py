"""HTTP hygiene for everything the server serves (the API and the mounted web UI), as plain ASGI
middleware so that it also covers streamed responses and Gradio's own routes:

- Host allow-list (a Host header we do not serve is refused instead of reflected into Gradio's config);
- security headers (CSP, X-Frame-Options, nosniff, Referrer-Policy) on every response;
- a request-body limit (Content-Length and the bytes actually sent; bodies are read here, in full);
- closed routes (the app takes no files: Gradio's upload route answers 404);
- on /v1/*: the optional API key (Authorization: Bearer) and a per-client rate limit.

Refusals are the contract's error object: {"error": "...", "code": "..."}.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
# The UI needs inline scripts and styles and runs its event handlers' JS through Function(); nothing is
# loaded from elsewhere (no CDN, no fonts, no images from outside), and no page may frame it.
UI_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
CLOSED_SUFFIXES = ("/upload",)  # Gradio's file upload route (…/gradio_api/upload)


async def reply(send: Send, status: int, error: str, code: str, headers: Iterable[tuple[str, str]] = ()) -> None:
    """Send a JSON error object as the whole response."""
    body = json.dumps({"error": error, "code": code}, ensure_ascii=False).encode("utf-8")
    raw = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw += security_headers(API_CSP)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return None


def allowed_host_names(bound: str, extra: str) -> set[str]:
    names = set(LOOPBACK_HOSTS)
    if bound not in ("0.0.0.0", "::", ""):
        names.add(bound)
    names.update(h.strip().lower() for h in extra.split(",") if h.strip())
    return names


class Guard:
    """One middleware for all the checks above (outermost: nothing reaches the app unchecked)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: set[str],
        body_limit: int,
        api_key: str | None,
        rate_limit: int,
    ):
        self.app = app
        self.hosts = {h.lower() for h in hosts}
        self.any_host = "*" in self.hosts
        self.body_limit = body_limit
        self.api_key = api_key
        self.limiter = RateLimiter(rate_limit) if rate_limit else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if not self.any_host and _host_name(_header(scope, b"host")) not in self.hosts:
            if scope["type"] == "http":
                await reply(send, 400, "this server does not serve that host name (Host header)", "bad_host")
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if path.endswith(CLOSED_SUFFIXES):
            await reply(send, 404, "not found: this app takes no files", "not_found")
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.body_limit):
            await reply(send, 413, f"request body over {self.body_limit} bytes", "too_large")
            return
        body = await self._read_body(receive, send)
        if body is None:
            return
        if path.startswith("/v1/") and scope["method"] != "OPTIONS":  # a CORS preflight carries no key
            if self.api_key and not _bearer_ok(_header(scope, b"authorization"), self.api_key):
                await reply(send, 401, "an API key is needed: Authorization: Bearer <key>", "unauthorized",
                            [("www-authenticate", "Bearer")])  # fmt: skip
                return
            if self.limiter is not None:
                client = (scope.get("client") or ("?", 0))[0]
                wait = self.limiter.take(client)
                if wait > 0:
                    await reply(send, 429, "too many requests: slow down", "rate_limited",
                                [("retry-after", str(max(1, round(wait))))])  # fmt: skip
                    return
        csp = API_CSP if path.startswith("/v1/") or path in ("/healthz", "/readyz", "/metrics") else UI_CSP
        await self.app(scope, _replay(body, receive), _with_headers(send, csp))

    async def _read_body(self, receive: Receive, send: Send) -> bytes | None:
        """The whole request body (requests here are small), or None after answering 413 when it runs
        past the limit (a chunked body, or one longer than its Content-Length said)."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.body_limit:
                await reply(send, 413, f"request body over {self.body_limit} bytes", "too_large")
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """receive() for the app: the body already read, then whatever the client sends next (disconnect)."""
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return wrapped


def _host_name(host: str | None) -> str:
    if not host:
        return ""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:7860
        return host[: host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _bearer_ok(value: str | None, key: str) -> bool:
    if not value or not value.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(value[7:].strip().encode(), key.encode())


def security_headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


def _with_headers(send: Send, csp: str) -> Send:
    extra = security_headers(csp)
    names = {k for k, _ in extra}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": headers + extra}
        await send(message)

    return wrapped


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int, max_clients: int = 10_000):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, last time)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when a request may go ahead (one token taken), else the seconds until one is available."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            if len(self._buckets) >= self.max_clients and client not in self._buckets:
                self._buckets.clear()  # bounded memory: forget every bucket rather than grow without end
            self._buckets[client] = (tokens - 1, now)
            return 0.0
