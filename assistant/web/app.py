"""The web app: the Backend (the Assistant, started in the background), ``build_app`` composing the pages
into one ``gr.Blocks``, and ``launch`` / ``main`` serving it."""

from __future__ import annotations

import argparse
import logging
import os
import threading
from datetime import date
from pathlib import Path

import gradio as gr

from assistant import Assistant, Notice, Settings, load_notices

from .i18n import LANGS, t
from .pages import AppContext, BasePage, BrowsePage, ChatPage, Header
from .pages.base import PRIVATE
from .profile import page_titles, read_profiles, starter_examples
from .state import Conversation

log = logging.getLogger("policy_ui")
STATIC = Path(__file__).resolve().parent / "static"
CSS = (STATIC / "style.css").read_text(encoding="utf-8")
COPY_JS = (STATIC / "app.js").read_text(encoding="utf-8")  # the "copy answer" button's browser-side handler
FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "ui-sans-serif",
    "system-ui",
    "sans-serif",
]
MONO_FONTS = ["Noto Sans Mono CJK SC", "ui-monospace", "Consolas", "monospace"]


# --- the Assistant, started in the background --------------------------------------------------------
class Backend:
    """Builds (and warms up) the Assistant in a background thread, so the page can load meanwhile.

    The page needs only the parsed notices, which the core's own parser gives in about a millisecond, and
    their profiles (title, starter questions); a question waits until the Assistant is ready (the busy state
    shows meanwhile). If the Assistant cannot be built the process exits, as it would if it were built before
    serving."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.notices: list[Notice] = load_notices(settings.corpus_dir)
        self.profiles: dict[str, dict] = read_profiles(settings.corpus_dir, self.notices)
        self._assistant: Assistant | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._start, name="assistant-start", daemon=True).start()

    def _start(self) -> None:
        try:
            a = Assistant(self.settings)
        except Exception:
            log.critical("the assistant could not start", exc_info=True)
            os._exit(1)
        if a.notices != self.notices or a.profiles != self.profiles:
            log.warning("the corpus changed while starting; the page shows the notices as first parsed")
        try:  # answer one question so that the first user does not pay for lazy initialisation
            a.warm_up()
        except Exception:
            log.exception("warm-up failed")
        self._assistant = a
        self._ready.set()
        log.info("assistant ready")

    def assistant(self) -> Assistant:
        self._ready.wait()
        assert self._assistant is not None
        return self._assistant

    def today(self) -> date:
        return self.settings.clock()


# --- the app --------------------------------------------------------------------------------------
def build_app(backend: Backend, examples: dict | None = None) -> gr.Blocks:
    """The whole page: header (title, language, validity banner) above the chat and browse tabs.

    ``examples`` replaces the starter questions of the notices' profiles ({key: {label: {zh, en}, questions}})."""
    titles = page_titles(backend.profiles)
    examples = starter_examples(backend.profiles) if examples is None else examples
    with gr.Blocks(title=f"{titles['zh']} · {t('en', 'app_title')}", analytics_enabled=False) as blocks:
        ctx = AppContext(
            blocks=blocks,
            backend=backend,
            titles=titles,
            examples=examples,
            copy_js=COPY_JS,
            conv=gr.State(Conversation()),
            lang=gr.State("zh"),
        )
        header = Header(ctx)
        with gr.Tabs():
            pages: list[BasePage] = [header, ChatPage(ctx), BrowsePage(ctx)]
        for page in pages:
            page.on_register_events()
        _wire_language_switch(ctx, header.lang_pick, pages)
    return blocks


def _wire_language_switch(ctx: AppContext, picker: gr.Radio, pages: list[BasePage]) -> None:
    """Picking a language relabels every page; filters, the conversation and the chosen citation stay."""
    given = [ctx.conv] + [c for p in pages for c in p.relabel_inputs()]
    outputs = [ctx.lang] + [c for p in pages for c in p.relabel_outputs()]

    def switch(choice: str, *values: object) -> dict:
        lang = LANGS.get(choice, "zh")
        current = dict(zip(given, values, strict=True))
        out: dict = {ctx.lang: lang}
        for p in pages:
            out.update(p.relabel(lang, current))
        return out

    picker.change(switch, [picker, *given], outputs, **PRIVATE)


def launch(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve the app on host:port (default: the settings'), until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "bm25s", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = build_app(Backend(settings))
    theme = gr.themes.Default(font=FONTS, font_mono=MONO_FONTS)
    app.queue(default_concurrency_limit=4).launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        share=False,
        inbrowser=False,
        show_error=False,
        theme=theme,
        css=CSS,
        footer_links=["settings"],
        ssr_mode=False,
        quiet=False,
    )


def main(argv: list[str] | None = None, prog: str | None = None) -> None:
    settings = Settings.from_env()
    p = argparse.ArgumentParser(prog=prog, description="Serve the policy assistant web UI (Gradio).")
    p.add_argument("--host", default=settings.host, help=f"interface to bind (default {settings.host})")
    p.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    p.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="judge validity as of this date (YYYY-MM-DD); default: POLICY_TODAY or today",
    )
    args = p.parse_args(argv)
    if args.today:
        settings = settings.with_(today=args.today)
    launch(settings, args.host, args.port)
