"""The "ask" tab: the conversation, the question box, the citation panel beside it (the full text of the
cited clause, quoted sentences highlighted), copy answer, feedback and the starter questions."""

from __future__ import annotations

import logging

import gradio as gr

from assistant import InvalidQuestion

from ..i18n import t
from ..render import citation_label, citation_panel_html, escape_user, md_answer, plain_answer, status_html
from ..state import Conversation
from .base import PRIVATE, BasePage
from .feedback import FeedbackArea

log = logging.getLogger(__name__)


class ChatPage(BasePage):
    def on_building_ui(self) -> None:
        notices = self.ctx.notices
        with gr.Tab(t("zh", "tab_chat"), id="chat-tab") as self.tab:
            with gr.Row():
                with gr.Column(scale=3, min_width=420):
                    self.chatbot = gr.Chatbot(
                        label=t("zh", "chat_label"),
                        elem_id="chat",
                        height=470,
                        layout="bubble",
                        buttons=["copy"],
                        feedback_options=("Like", "Dislike"),
                        show_label=False,
                        sanitize_html=True,
                        render_markdown=True,
                        allow_tags=False,
                        latex_delimiters=[],
                        group_consecutive_messages=False,
                        autoscroll=True,
                    )
                    with gr.Row(equal_height=True):
                        self.question = gr.Textbox(
                            label=t("zh", "input_label"),
                            placeholder=t("zh", "placeholder"),
                            lines=1,
                            max_lines=6,
                            scale=5,
                            elem_id="question",
                            autofocus=True,
                        )
                        self.send = gr.Button(t("zh", "send"), variant="primary", scale=1, min_width=90, elem_id="send")
                    self.status = gr.HTML("", elem_id="status")
                    with gr.Row():
                        self.new_chat = gr.Button(t("zh", "new_chat"), size="sm", elem_id="new-chat")
                        self.copy = gr.Button(t("zh", "copy"), size="sm", elem_id="copy-answer")
                    self.answer_plain = gr.Textbox(visible="hidden", elem_id="answer-plain")
                    self.feedback = FeedbackArea(self.ctx, chatbot=self.chatbot, status=self.status)
                with gr.Column(scale=2, min_width=320):
                    self.cite_pick = gr.Radio([], label=t("zh", "cite_label"), elem_id="cite-pick", type="value")
                    self.panel = gr.HTML(
                        citation_panel_html(notices, None, "zh"), elem_id="cite-panel", js_on_load=None
                    )
            self.ex_hint = gr.Markdown(t("zh", "examples_hint"))
            self.ex_sets: list[tuple[gr.Dataset, dict]] = []
            with gr.Row():
                for key, group in self.ctx.examples.items():
                    ds = gr.Dataset(
                        components=[gr.Textbox(visible=False)],
                        label=group["label"]["zh"],
                        samples=[[q] for q in group["questions"]],
                        samples_per_page=20,
                        elem_id=f"examples-{key}",
                        min_width=320,
                    )
                    self.ex_sets.append((ds, group))

    # --- handlers (each returns {component: new value}; components left out stay as they are) --------
    def show_answer(self, conv: Conversation, lang: str, index: int | None = 0) -> dict:
        """Citation buttons, clause panel and clipboard text for the selected answer."""
        cites = conv.citations()
        ok = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(cites)
        index = index if ok else (0 if cites else None)  # a crafted or stale index shows the first
        turn = conv.selected_turn()
        return {
            self.cite_pick: gr.update(
                choices=[(citation_label(c, lang), i) for i, c in enumerate(cites)],
                value=index,
                label=t(lang, "cite_label"),
            ),
            self.panel: citation_panel_html(self.ctx.notices, cites[index] if index is not None else None, lang),
            self.answer_plain: plain_answer(turn.text) if turn else "",
        }

    def controls(self, lang: str, busy: bool) -> dict:
        return {
            self.send: gr.update(interactive=not busy, value=t(lang, "busy_btn" if busy else "send")),
            self.new_chat: gr.update(interactive=not busy),
        }

    def respond(self, q: str, conv: Conversation, lang: str):
        q = q or ""
        max_chars = self.ctx.backend.settings.limits.question_chars
        if not q.strip():
            yield self.controls(lang, busy=False)
            return
        if len(q) > max_chars:  # keep the text so the user can shorten it
            yield {
                self.status: status_html(t(lang, "too_long", n=len(q), max=max_chars), "warn"),
                **self.controls(lang, busy=False),
            }
            return
        shown = conv.messages() + [
            {"role": "user", "content": escape_user(q)},
            {"role": "assistant", "content": t(lang, "thinking")},
        ]
        yield {
            self.chatbot: shown,
            self.question: "",
            self.status: status_html(t(lang, "busy"), "busy"),
            **self.controls(lang, busy=True),
        }
        try:
            a = self.ctx.backend.assistant()
            for text, answer in a.ask_stream(q, conv.history()):  # Assistant.ask is thread-safe
                if answer is None:  # a streaming generator: show the text so far
                    shown[-1] = {"role": "assistant", "content": md_answer(text)}
                    yield {self.chatbot: shown}
        except InvalidQuestion as exc:
            yield {
                self.chatbot: conv.messages(),
                self.question: q,
                **self.controls(lang, busy=False),
                self.status: status_html(t(lang, "invalid", msg=str(exc)), "warn"),
            }
            return
        except Exception:
            log.exception("failed to answer a question")
            yield {
                self.chatbot: conv.messages(),
                self.question: q,
                **self.controls(lang, busy=False),
                self.status: status_html(t(lang, "error"), "warn"),
            }
            return
        log.info("answered (%s, %.0f ms)", answer.kind, answer.timings_ms.get("total", 0.0))
        conv.add(q, answer)
        yield {
            self.chatbot: conv.messages(),
            self.status: "",
            self.ctx.conv: conv,
            **self.show_answer(conv, lang),
            **self.controls(lang, busy=False),
        }

    def pick_citation(self, index: int | None, conv: Conversation, lang: str):
        return self.show_answer(conv, lang, index)[self.panel]

    def select_message(self, conv: Conversation, lang: str, evt: gr.SelectData) -> dict:
        k = conv.answer_of(evt.index)
        if k is None:
            return {}
        conv.selected = k
        return {self.ctx.conv: conv, **self.show_answer(conv, lang)}

    def reset(self, lang: str) -> dict:
        fresh = Conversation()
        return {
            self.ctx.conv: fresh,
            self.chatbot: [],
            self.question: "",
            self.status: "",
            **self.feedback.hidden(),
            **self.show_answer(fresh, lang),
        }

    def copied(self, text: str, lang: str) -> str:
        return status_html(t(lang, "copied"), "ok") if text else status_html(t(lang, "nothing_to_copy"), "warn")

    # --- wiring -----------------------------------------------------------------------------------
    def on_register_events(self) -> None:
        conv, lang = self.ctx.conv, self.ctx.lang
        chat_io = {
            "fn": self.respond,
            "inputs": [self.question, conv, lang],
            "show_progress": "minimal",
            **PRIVATE,
            "outputs": [
                self.chatbot,
                self.question,
                self.status,
                conv,
                self.cite_pick,
                self.panel,
                self.answer_plain,
                self.send,
                self.new_chat,
            ],
        }
        gr.on(
            [self.question.submit, self.send.click], **chat_io
        )  # one listener: a second trigger while busy is ignored
        for ds, _ in self.ex_sets:  # clicking a starter question asks it
            ds.click(lambda sample: sample[0], [ds], [self.question], queue=False, **PRIVATE).then(**chat_io)
        self.cite_pick.input(self.pick_citation, [self.cite_pick, conv, lang], [self.panel], **PRIVATE)
        self.chatbot.select(
            self.select_message, [conv, lang], [conv, self.cite_pick, self.panel, self.answer_plain], **PRIVATE
        )
        for trigger in (self.new_chat.click, self.chatbot.clear):  # the chat's own 🗑 button starts over as well
            trigger(
                self.reset,
                [lang],
                [
                    conv,
                    self.chatbot,
                    self.question,
                    self.status,
                    self.feedback.box,
                    self.feedback.comment,
                    self.cite_pick,
                    self.panel,
                    self.answer_plain,
                ],
                **PRIVATE,
            )
        self.copy.click(self.copied, [self.answer_plain, lang], [self.status], js=self.ctx.copy_js, **PRIVATE)
        self.feedback.on_register_events()

    # --- language switch --------------------------------------------------------------------------
    def relabel_inputs(self) -> list:
        return [self.cite_pick]

    def relabel_outputs(self) -> list:
        return [
            self.tab,
            self.chatbot,
            self.question,
            self.send,
            self.new_chat,
            self.copy,
            self.ex_hint,
            self.cite_pick,
            self.panel,
            self.answer_plain,
            *(ds for ds, _ in self.ex_sets),
            *self.feedback.relabel_outputs(),
        ]

    def relabel(self, lang: str, values: dict) -> dict:
        return {
            self.tab: gr.update(label=t(lang, "tab_chat")),
            self.chatbot: gr.update(label=t(lang, "chat_label")),
            self.question: gr.update(label=t(lang, "input_label"), placeholder=t(lang, "placeholder")),
            self.send: gr.update(value=t(lang, "send")),
            self.new_chat: gr.update(value=t(lang, "new_chat")),
            self.copy: gr.update(value=t(lang, "copy")),
            self.ex_hint: t(lang, "examples_hint"),
            **{ds: gr.update(label=group["label"][lang]) for ds, group in self.ex_sets},
            **self.feedback.relabel(lang, values),
            **self.show_answer(values[self.ctx.conv], lang, values[self.cite_pick]),
        }
