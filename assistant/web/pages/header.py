"""The header above the tabs: the page title (from the notice's profile), the language picker and the
validity banner (re-read on every page load, so a server left running past the expiry date switches it)."""

from __future__ import annotations

import gradio as gr

from ..i18n import LANGS, t
from ..render import banner_html, header_md
from .base import PRIVATE, BasePage


class Header(BasePage):
    def on_building_ui(self) -> None:
        ctx = self.ctx
        with gr.Row(equal_height=True):
            with gr.Column(scale=5):
                self.title = gr.Markdown(header_md(ctx.titles["zh"], "zh"), elem_id="header")
            self.lang_pick = gr.Radio(
                list(LANGS),
                value="中文",
                label=t("zh", "lang_label"),
                show_label=False,
                container=False,
                scale=0,
                min_width=220,
                elem_id="lang",
            )
        self.banner = gr.HTML(banner_html(ctx.notices, ctx.backend.today(), "zh"), elem_id="validity-banner")

    def on_register_events(self) -> None:
        ctx = self.ctx
        ctx.blocks.load(
            lambda L: banner_html(ctx.notices, ctx.backend.today(), L),
            [ctx.lang],
            [self.banner],
            show_progress="hidden",
            **PRIVATE,
        )

    def relabel_outputs(self) -> list:
        return [self.title, self.banner]

    def relabel(self, lang: str, values: dict) -> dict:
        return {
            self.title: header_md(self.ctx.titles[lang], lang),
            self.banner: banner_html(self.ctx.notices, self.ctx.backend.today(), lang),
        }
