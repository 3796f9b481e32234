"""The web app: ``build_app`` composes the pages into one ``gr.Blocks`` over a backend (the core's
Service: the Assistant started in the background and reloaded on a new index version), and ``mount_ui``
puts it on the API's FastAPI app (assistant.api serves both)."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr
from fastapi import FastAPI

from assistant import Settings

from .i18n import LANGS, t
from .pages import AppContext, BasePage, BrowsePage, ChatPage, Header
from .pages.base import PRIVATE, Backend
from .profile import page_titles, starter_examples
from .state import Conversation

log = logging.getLogger("policy_ui")
STATIC = Path(__file__).resolve().parent / "static"
CSS = (STATIC / "style.css").read_text(encoding="utf-8")
COPY_JS = (STATIC / "app.js").read_text(encoding="utf-8")  # the "copy answer" button's browser-side handler
# In <head>: the light theme kept whatever the system's scheme, <html lang>, the clipboard's read-out text.
HEAD = f"<script>{(STATIC / 'head.js').read_text(encoding='utf-8')}</script>"
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
            doc=gr.State(""),
            current=gr.BrowserState(None, storage_key="policy-desk-current"),
            earlier=gr.BrowserState([], storage_key="policy-desk-earlier"),
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
    given = list(dict.fromkeys([ctx.conv] + [c for p in pages for c in p.relabel_inputs()]))
    outputs = [ctx.lang] + [c for p in pages for c in p.relabel_outputs()]

    def switch(choice: str, *values: object) -> dict:
        lang = LANGS.get(choice, "zh")
        current = dict(zip(given, values, strict=True))
        out: dict = {ctx.lang: lang}
        for p in pages:
            out.update(p.relabel(lang, current))
        return out

    lang_js = f"(choice) => {{ window.policyLang && window.policyLang(choice === {list(LANGS)[1]!r} ? 'en' : 'zh'); }}"
    picker.change(switch, [picker, *given], outputs, **PRIVATE).then(None, [picker], None, js=lang_js, **PRIVATE)


def mount_ui(app: FastAPI, backend: Backend, settings: Settings, path: str = "/") -> None:
    """Mount the page on a FastAPI app (assistant.api serves both). Nothing can be uploaded, the API
    pages, PWA, run history and MCP of Gradio are off; ``POLICY_SERVER_UI_AUTH=user:password`` asks for a
    login."""
    auth = None
    if settings.server.ui_auth:
        user, _, password = settings.server.ui_auth.partition(":")
        auth = (user, password)
    blocks = build_app(backend).queue(default_concurrency_limit=4)
    gr.mount_gradio_app(
        app,
        blocks,
        path=path,
        server_name=settings.host,
        server_port=settings.port,
        footer_links=[],  # the footer is hidden as well (style.css); the API docs are at /docs
        run_history=False,
        auth=auth,
        show_error=False,
        max_file_size=1,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        theme=gr.themes.Default(primary_hue="blue", font=FONTS, font_mono=MONO_FONTS),
        css=CSS,
        head=HEAD,
    )
