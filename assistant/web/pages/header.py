"""The header above the tabs: the page title (from the notice's profile), the notice picker, the language
picker and the validity bar. The bar stays in view (sticky) and is redrawn on every page load, so a
server left running past an end date, or serving a new index, shows the state of today."""

from __future__ import annotations

import gradio as gr

from ..i18n import LANGS, t
from ..render import banner_html, header_md
from .base import PRIVATE, BasePage


class Header(BasePage):
    def on_building_ui(self) -> None:
        ctx = self.ctx
        self.banner = gr.HTML(self.banner_for("", "zh"), elem_id="validity-banner", padding=False)
        with gr.Row(equal_height=True, elem_id="header-row"):
            with gr.Column(scale=5):
                self.title = gr.Markdown(header_md(ctx.titles["zh"], "zh"), elem_id="header")
            self.notice_pick = gr.Dropdown(
                self.notice_choices("zh"),
                value="",
                label=t("zh", "notice_label"),
                scale=2,
                min_width=220,
                elem_id="notice-picker",
            )
            self.lang_pick = gr.Radio(
                list(LANGS),
                value="中文",
                label=t("zh", "lang_label"),
                show_label=False,
                container=False,
                scale=0,
                min_width=180,
                elem_id="lang",
            )

    def notice_choices(self, lang: str) -> list[tuple[str, str]]:
        return [(t(lang, "all_notices"), "")] + [(f"{n.doc_number}《{n.title}》", n.doc_id) for n in self.ctx.notices]

    def banner_for(self, doc: str, lang: str) -> str:
        ctx = self.ctx
        return banner_html(ctx.picked(doc), ctx.states(), ctx.backend.today(), lang)

    def on_register_events(self) -> None:
        ctx = self.ctx
        ctx.blocks.load(
            lambda doc, lang: {
                self.banner: self.banner_for(doc, lang),
                self.notice_pick: gr.update(choices=self.notice_choices(lang)),
            },
            [ctx.doc, ctx.lang],
            [self.banner, self.notice_pick],
            show_progress="hidden",
            **PRIVATE,
        )
        self.notice_pick.input(
            lambda doc, lang: (doc or "", self.banner_for(doc or "", lang)),
            [self.notice_pick, ctx.lang],
            [ctx.doc, self.banner],
            show_progress="hidden",
            **PRIVATE,
        )

    def relabel_inputs(self) -> list:
        return [self.ctx.doc]

    def relabel_outputs(self) -> list:
        return [self.title, self.banner, self.notice_pick]

    def relabel(self, lang: str, values: dict) -> dict:
        doc = values[self.ctx.doc]
        return {
            self.title: header_md(self.ctx.titles[lang], lang),
            self.banner: self.banner_for(doc, lang),
            self.notice_pick: gr.update(choices=self.notice_choices(lang), value=doc, label=t(lang, "notice_label")),
        }
