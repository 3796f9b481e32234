"""Prometheus metrics of one server process (GET /metrics). With `--workers N` each worker counts its own
requests; scrape each, or run one worker per container behind the load balancer."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST

disable_created_metrics()  # no *_created series: they double the page and say nothing here
BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter("policy_requests", "HTTP requests to the API", ["route", "status"], registry=r)
        self.answer_seconds = Histogram(
            "policy_answer_seconds",
            "time to answer a question, by question kind",
            ["kind"],
            buckets=BUCKETS,
            registry=r,
        )
        self.refusals = Counter(
            "policy_refusals", "answers that refused (out of scope, rule-breaking)", ["kind"], registry=r
        )
        self.errors = Counter("policy_errors", "requests answered with an error object, by code", ["code"], registry=r)
        self.index = Gauge("policy_index_version", "the index version being served (value 1)", ["version"], registry=r)
        self.notices = Gauge("policy_index_notices", "notices in the index being served", registry=r)
        self.reloads = Gauge("policy_index_reloads", "index versions loaded since the process started", registry=r)
        self._version: str | None = None

    def answered(self, kind: str, seconds: float, refused: bool) -> None:
        self.answer_seconds.labels(kind or "unknown").observe(seconds)
        if refused:
            self.refusals.labels(kind or "unknown").inc()

    def set_index(self, version: str | None, notices: int, reloads: int) -> None:
        if version != self._version:
            if self._version is not None:
                self.index.remove(self._version)
            self._version = version
            if version is not None:
                self.index.labels(version).set(1)
        self.notices.set(notices)
        self.reloads.set(reloads)

    def counting(self, app):
        """ASGI middleware counting each HTTP request by route template (/v1/notices/{doc_id}) and status."""
        requests = self.requests

        async def counted(scope, receive, send):
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            status = 500

            async def send_(message):
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_)
            finally:
                route = getattr(scope.get("route"), "path", None)  # set by the router as it matched
                requests.labels(route or ("other" if scope["path"].startswith("/v1/") else "ui"), str(status)).inc()

        return counted

    def render(self) -> bytes:
        return generate_latest(self.registry)
