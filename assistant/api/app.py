"""The HTTP API (FastAPI) over one Service, with the web UI mounted at / in the same process.

    POST /v1/ask                    the JSON contract: exactly what `ask --json` prints
    POST /v1/chat/completions       the OpenAI chat protocol (plain or `stream: true`)
    GET  /v1/models
    GET  /v1/notices, /v1/notices/{doc_id}, /v1/notices/{doc_id}/clauses/{n}
    POST /v1/index                  build a new index version from the corpus and serve it
    GET  /healthz /readyz /metrics  /docs (OpenAPI, served offline)

Request bodies are read and checked by the contract module (strict JSON, UTF-8), so the HTTP API refuses
exactly what the CLI refuses, with the same error objects and codes (HTTP 422)."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from .. import __version__, contract
from ..errors import InvalidQuestion, NotReady, PolicyError
from ..service import Service
from ..settings import Settings
from .chat import chunks, completion, model_list, openai_error, read_messages
from .docs import ASK_BODY, CHAT_BODY, INDEX_BODY
from .guard import LOOPBACK_HOSTS, Guard, allowed_host_names
from .metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("policy_api")
READY_WAIT = 30.0  # seconds a question waits for a starting assistant before 503


class ApiError(PolicyError):
    def __init__(self, message: str, code: str, status: int):
        super().__init__(message, code)
        self.status = status


def _json(obj: dict, status: int = 200) -> Response:
    return Response(contract.dumps(obj), status_code=status, media_type="application/json")


def create_app(settings: Settings | None = None, service: Service | None = None, ui: bool = True) -> FastAPI:
    """The whole server as an ASGI app. `service` defaults to a new Service over `settings` (from the
    environment when None); ui=False leaves the web UI out (API only)."""
    settings = settings or Settings.from_env()
    if ui:
        # Gradio parses its own source with `ast` while it is imported, and CPython 3.11's AST builder
        # can fail when another thread parses at the same time (gh-106905: "AST constructor recursion
        # depth mismatch"). So it is imported before the Service starts its loading thread.
        from ..web import mount_ui
    service = service or Service(settings)
    metrics = Metrics()
    app = FastAPIOffline(
        title="Policy assistant API",
        version=__version__,
        description="Cited, extractive answers about the policy notices in the corpus. "
        "The JSON contract is the one `policy-assistant ask --json` prints; /v1/chat/completions speaks "
        "the OpenAI chat protocol.",
        static_url="/docs-static",
    )
    app.state.service, app.state.metrics = service, metrics

    # --- errors: always the contract's error object ---------------------------------------------
    @app.exception_handler(PolicyError)
    async def _policy_error(request: Request, exc: PolicyError) -> Response:
        status = exc.status if isinstance(exc, ApiError) else 503 if isinstance(exc, NotReady) else 422
        metrics.errors.labels(exc.code).inc()
        headers = {"retry-after": "5"} if status == 503 else None
        return Response(contract.dumps(contract.error_json(exc, with_id=False)), status, headers, "application/json")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        metrics.errors.labels("internal").inc()
        return _json({"error": "internal error", "code": "internal"}, 500)

    async def body(request: Request) -> object:
        return contract.loads(contract.decode_line(await request.body()))

    async def offload(fn: Any, *args: Any) -> Any:
        """Extractive answers are CPU-bound and take milliseconds: computed on the event loop they cost no
        thread hand-offs (under load, threads only take turns at the GIL). Anything that waits — a
        configured LLM, the first questions while the index opens — runs in the thread pool."""
        if settings.llm.model is None and service.ready():
            return fn(*args)
        return await run_in_threadpool(fn, *args)

    def answer(question: object, history: object, doc: str | None) -> Any:
        t0 = time.perf_counter()
        a = service.ask(question, history, doc, timeout=READY_WAIT)
        metrics.answered(a.kind, time.perf_counter() - t0, a.refused)
        return a

    # --- the contract ------------------------------------------------------------------------------
    @app.post("/v1/ask", tags=["answers"], summary="Answer one question (the JSON contract)", openapi_extra=ASK_BODY)
    async def ask(request: Request) -> Response:
        req = contract.parse_request(await body(request))
        try:
            a = await offload(answer, req.question, req.history, req.doc)
        except InvalidQuestion as exc:
            metrics.errors.labels(exc.code).inc()
            return _json(contract.error_json(exc, req.id, with_id=req.id is not None), 422)
        return _json(contract.answer_json(a, req.id, with_id=req.id is not None))

    @app.post(
        "/v1/chat/completions", tags=["answers"], summary="OpenAI-compatible chat completions", openapi_extra=CHAT_BODY
    )
    async def chat_completions(request: Request) -> Response:
        try:
            question, history, model, stream = read_messages(await body(request))
            a = await offload(answer, question, history, None)
        except PolicyError as exc:  # in OpenAI's error shape, which its clients read
            metrics.errors.labels(exc.code).inc()
            status = 503 if isinstance(exc, NotReady) else 422
            return _json(openai_error(exc), status)
        extension = contract.answer_json(a)
        if stream:
            return StreamingResponse(chunks(a, extension, model), media_type="text/event-stream")
        return _json(completion(a, extension, model, question, history))

    @app.get("/v1/models", tags=["answers"], summary="The one model this server answers as")
    async def models() -> Response:
        return _json(model_list())

    # --- the notices -------------------------------------------------------------------------------
    def notice_or_404(doc_id: str):
        a = service.wait(READY_WAIT)
        n = a.find_notice(doc_id)
        if n is None:
            raise ApiError(f"no notice with doc_id or 文号 {doc_id!r}", "not_found", 404)
        return a, n

    @app.get("/v1/notices", tags=["notices"], summary="Every notice in the corpus with its validity today")
    async def notices() -> Response:
        a = service.wait(READY_WAIT)
        items = [contract.notice_json(n, a.state(n), a.status(n)) for n in a.notices]
        return _json({"notices": items, "index_version": a.store.version, "today": a.today().isoformat()})

    @app.get("/v1/notices/{doc_id}", tags=["notices"], summary="One notice: its facts and its measures")
    async def notice(doc_id: str) -> Response:
        a, n = notice_or_404(doc_id)
        return _json(contract.notice_json(n, a.state(n), a.status(n), with_clauses=True))

    @app.get("/v1/notices/{doc_id}/clauses/{number}", tags=["notices"], summary="One measure in full")
    async def clause(doc_id: str, number: str) -> Response:
        a, n = notice_or_404(doc_id)
        c = n.clause(int(number)) if number.isdigit() and len(number) < 6 else None
        if c is None:
            raise ApiError(
                f"{n.doc_number or n.doc_id} has no measure {number!r} (it has {len(n.clauses)})", "not_found", 404
            )
        return _json(contract.clause_json(n, c))

    # --- operations --------------------------------------------------------------------------------
    @app.post(
        "/v1/index",
        tags=["operations"],
        summary="Re-read the corpus and serve a new index version",
        openapi_extra=INDEX_BODY,
    )
    async def reindex(request: Request) -> Response:
        client = (request.client.host if request.client else "") or ""
        if not settings.server.api_key and client not in LOOPBACK_HOSTS:
            raise ApiError("reindexing from another machine needs POLICY_SERVER_API_KEY to be set", "forbidden", 403)
        raw = await request.body()
        obj = contract.loads(contract.decode_line(raw)) if raw.strip() else {}
        rebuild = obj.get("rebuild", False) if isinstance(obj, dict) else None
        if not isinstance(rebuild, bool):
            raise InvalidQuestion('the body must be {"rebuild": true|false} or empty', "bad_request")
        if service.read_only:
            raise ApiError(
                f"the index folder {settings.index_dir} is read-only: it is served as built and cannot be rebuilt here",
                "read_only",
                409,
            )
        t0 = time.perf_counter()
        change = await run_in_threadpool(service.reindex, rebuild)
        return _json(
            {
                "index_version": service.version,
                "change": change.describe(),
                "added": change.added,
                "changed": change.changed,
                "removed": change.removed,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz", tags=["operations"], summary="The index is loaded (and which version)")
    async def readyz() -> Response:
        if not service.ready():
            return _json({"status": "failed" if service.failed else "starting", "error": service.failed}, 503)
        a = service.wait()
        return _json(
            {"status": "ready", "index_version": a.store.version, "notices": len(a.notices), "reloads": service.reloads}
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def metrics_page() -> Response:
        if service.ready():
            metrics.set_index(service.version, len(service.notices), service.reloads)
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    if ui:
        mount_ui(app, service, settings)
    return app


def guarded(app: FastAPI, settings: Settings, host: str) -> Any:
    """The app behind the hygiene middleware (Host allow-list, headers, body limit, key, rate limit), and
    CORS when origins are configured; requests are counted for /metrics on the way out."""
    inner: Any = app
    origins = [o.strip() for o in settings.server.cors_origins.split(",") if o.strip()]
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        inner = CORSMiddleware(
            app, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"]
        )
    s = settings.server
    guard = Guard(
        inner,
        hosts=allowed_host_names(host, s.allowed_hosts),
        body_limit=s.body_limit,
        api_key=s.api_key,
        rate_limit=s.rate_limit,
    )
    return app.state.metrics.counting(guard)  # outermost: the guard's refusals are counted too
