"""The "browse all measures" tab: every clause of every notice as a table, filtered by responsible unit
and keyword."""

from __future__ import annotations

import gradio as gr

from ..i18n import t
from ..render import browse_html, unit_choices
from .base import PRIVATE, BasePage


class BrowsePage(BasePage):
    def on_building_ui(self) -> None:
        notices = self.ctx.notices
        with gr.Tab(t("zh", "tab_browse"), id="browse-tab") as self.tab:
            with gr.Row():
                self.unit = gr.Dropdown(
                    unit_choices(notices, "zh"), value="", label=t("zh", "unit_label"), elem_id="unit-filter", scale=2
                )
                self.keyword = gr.Textbox(
                    label=t("zh", "keyword_label"),
                    placeholder=t("zh", "keyword_placeholder"),
                    elem_id="keyword-filter",
                    scale=2,
                )
            self.table = gr.HTML(browse_html(notices, "", "", "zh"), elem_id="browse-table", js_on_load=None)

    def on_register_events(self) -> None:
        ctx = self.ctx  # notices are read on each event: a reindex can change them
        for trigger in (self.unit.change, self.keyword.change, ctx.doc.change):
            trigger(
                lambda u, k, doc, L: browse_html(ctx.picked(doc), u, k, L, ctx.names),
                [self.unit, self.keyword, ctx.doc, ctx.lang],
                [self.table],
                show_progress="hidden",
                **PRIVATE,
            )

    def relabel_inputs(self) -> list:
        return [self.unit, self.keyword, self.ctx.doc]

    def relabel_outputs(self) -> list:
        return [self.tab, self.unit, self.keyword, self.table]

    def relabel(self, lang: str, values: dict) -> dict:
        notices, unit = self.ctx.picked(values[self.ctx.doc]), values[self.unit]
        return {
            self.tab: gr.update(label=t(lang, "tab_browse")),
            self.unit: gr.update(
                choices=unit_choices(notices, lang, self.ctx.names), value=unit, label=t(lang, "unit_label")
            ),
            self.keyword: gr.update(label=t(lang, "keyword_label"), placeholder=t(lang, "keyword_placeholder")),
            self.table: browse_html(notices, unit, values[self.keyword], lang, self.ctx.names),
        }
