"""The HTTP shell: the API and the web UI in one process, served by uvicorn.

    policy-assistant serve [--host 127.0.0.1] [--port 7860] [--workers N] [--today YYYY-MM-DD]
    python ui.py …                      (the same)

`create_app` gives the FastAPI app (tests, embedding in another ASGI server); `app_from_env` is the
factory uvicorn's workers call; `serve` runs it all."""

from __future__ import annotations

import logging
import os

from ..settings import Settings
from .app import create_app, guarded

__all__ = ["app_from_env", "create_app", "guarded", "serve"]
log = logging.getLogger("policy_api")


def app_from_env():
    """The guarded ASGI app from POLICY_* variables (what each uvicorn worker builds)."""
    s = Settings.from_env()
    return guarded(create_app(s, ui=os.environ.get("POLICY_NO_UI") != "1"), s, s.host)


def _quiet_logs() -> None:
    """A server logs at INFO (start, index versions, reloads), whatever the CLI set up before."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO)
    for noisy in ("httpx", "bm25s", "chromadb", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(
    settings: Settings, host: str | None = None, port: int | None = None, workers: int | None = None, ui: bool = True
) -> None:
    """Serve the API and the UI on host:port until interrupted. With workers > 1, each worker is its own
    process with its own Assistant; they read the settings from the environment, so the ones given here
    are passed on through it."""
    import uvicorn

    _quiet_logs()
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.server.workers
    common = {"host": host, "port": port, "log_level": "info", "access_log": False, "server_header": False}
    log.info("serving the API and the web UI on http://%s:%s (docs at /docs)", host, port)
    if workers == 1:
        uvicorn.run(guarded(create_app(settings, ui=ui), settings, host), **common)
        return
    os.environ.update(
        {
            "POLICY_HOST": host,
            "POLICY_PORT": str(port),
            **({"POLICY_TODAY": settings.today.isoformat()} if settings.today else {}),
            **({} if ui else {"POLICY_NO_UI": "1"}),
        }
    )
    uvicorn.run("assistant.api:app_from_env", factory=True, workers=workers, **common)
