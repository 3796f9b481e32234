"""The "ask" tab: the conversation (each answer with its sources folded under it), the question box, the
citation panel beside it (the full text of the cited clause, quoted sentences highlighted), copy answer,
"read to caller", feedback, earlier conversations (kept in the browser) and the starter questions."""

from __future__ import annotations

import logging

import gradio as gr

from assistant import InvalidQuestion

from ..i18n import t
from ..render import (
    citation_label,
    citation_panel_html,
    escape_user,
    md_answer,
    message_html,
    plain_answer,
    readout_text,
    sources_html,
    status_html,
)
from ..state import Conversation, Turn
from .base import PRIVATE, BasePage
from .feedback import FeedbackArea

log = logging.getLogger(__name__)
EARLIER = 10  # earlier conversations kept in the browser
FOCUS_JS = "() => { document.querySelector('#question textarea')?.focus(); }"


class ChatPage(BasePage):
    def on_building_ui(self) -> None:
        notices = self.ctx.notices
        with gr.Tab(t("zh", "tab_chat"), id="chat-tab") as self.tab:
            with gr.Row():
                with gr.Column(scale=3, min_width=420):
                    self.chatbot = gr.Chatbot(
                        label=t("zh", "chat_label"),
                        elem_id="chat",
                        height="55vh",
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
                    # the comment box opens under the 👍/👎 the user clicked, above the question box
                    self.feedback = FeedbackArea(self.ctx, chatbot=self.chatbot)
                    with gr.Row(equal_height=True):
                        self.question = gr.Textbox(
                            label=t("zh", "input_label"),
                            placeholder=t("zh", "placeholder"),
                            lines=1,
                            max_lines=6,
                            scale=5,
                            elem_id="question",
                            autofocus=True,
                            interactive=False,  # until restore() has put back the conversation (see there)
                        )
                        self.send = gr.Button(
                            t("zh", "send"), variant="primary", scale=1, min_width=90, elem_id="send", interactive=False
                        )
                    self.status = gr.HTML("", elem_id="status")
                    with gr.Row():
                        self.readout = gr.Button(t("zh", "readout"), size="sm", variant="secondary", elem_id="readout")
                        self.copy = gr.Button(t("zh", "copy"), size="sm", elem_id="copy-answer")
                        self.new_chat = gr.Button(t("zh", "new_chat"), size="sm", elem_id="new-chat")
                    self.history = gr.Dropdown(
                        [], value=None, label=t("zh", "history_label"), elem_id="history", interactive=True
                    )
                    self.answer_plain = gr.Textbox(visible="hidden", elem_id="answer-plain")
                    self.readout_plain = gr.Textbox(visible="hidden", elem_id="readout-plain")
                    self.feedback.status = self.status
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
                choices=[(citation_label(c, lang, self.ctx.names), i) for i, c in enumerate(cites)],
                value=index,
                label=t(lang, "cite_label"),
            ),
            self.panel: citation_panel_html(
                self.ctx.notices, cites[index] if index is not None else None, lang, self.ctx.names
            ),
            self.answer_plain: plain_answer(turn.text) if turn else "",
            self.readout_plain: self.readout_of(turn, lang) if turn else "",
        }

    def readout_of(self, turn: Turn, lang: str) -> str:
        ctx = self.ctx
        return readout_text(ctx.notices, turn.citations, ctx.states(), ctx.backend.today(), lang, ctx.names)

    def render(self, lang: str):
        """How an answer is drawn in the chat: the answer, its sources folded under it, and the read-out
        text the copy icon takes (render.message_html)."""
        ctx = self.ctx
        states, today = ctx.states(), ctx.backend.today()

        def draw(turn: Turn, latest: bool) -> str:
            sources = sources_html(ctx.notices, turn.citations, states, today, lang, ctx.names, latest)
            return message_html(md_answer(turn.text), sources, self.readout_of(turn, lang))

        return draw

    def controls(self, lang: str, busy: bool) -> dict:
        return {
            self.send: gr.update(interactive=not busy, value=t(lang, "busy_btn" if busy else "send")),
            self.new_chat: gr.update(interactive=not busy),
        }

    def respond(self, q: str, conv: Conversation, lang: str, doc: str = ""):
        q = q if isinstance(q, str) else ""
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
        shown = conv.messages(self.render(lang)) + [
            {"role": "user", "content": escape_user(q)},
            {"role": "assistant", "content": t(lang, "thinking")},
        ]
        backend = self.ctx.backend
        if not (backend.ready() and backend.assistant().llm is None):
            # an answer that takes time (still starting, or generated): show the question and "thinking"
            # first; an extractive answer takes milliseconds and is drawn once
            yield {
                self.chatbot: shown,
                self.question: "",
                self.status: status_html(t(lang, "busy"), "busy"),
                **self.controls(lang, busy=True),
            }
        try:
            a = self.ctx.backend.assistant()
            stream = a.ask_stream(q, conv.history(), doc or None, lang)  # Assistant.ask is thread-safe
            for text, answer in stream:
                if answer is None:  # a streaming generator: show the text so far
                    shown[-1] = {"role": "assistant", "content": md_answer(text)}
                    yield {self.chatbot: shown}
        except InvalidQuestion as exc:
            yield {
                self.chatbot: conv.messages(self.render(lang)),
                self.question: q,
                **self.controls(lang, busy=False),
                self.status: status_html(t(lang, "invalid", msg=str(exc)), "warn"),
            }
            return
        except Exception:
            log.exception("failed to answer a question")
            yield {
                self.chatbot: conv.messages(self.render(lang)),
                self.question: q,
                **self.controls(lang, busy=False),
                self.status: status_html(t(lang, "error"), "warn"),
            }
            return
        log.info("answered (%s, %.0f ms)", answer.kind, answer.timings_ms.get("total", 0.0))
        conv.add(q, answer)
        yield {
            self.chatbot: conv.messages(self.render(lang)),
            self.question: "",
            self.status: "",
            self.ctx.conv: conv,
            self.ctx.current: conv.to_json(),  # kept in the browser with the answer, not after it
            **self.show_answer(conv, lang),
            **self.controls(lang, busy=False),
        }

    def respond_once(self, q: str, conv: Conversation, lang: str, doc: str = "") -> dict:
        """respond() in one step (what its last update leaves on the page)."""
        out: dict = {}
        for step in self.respond(q, conv, lang, doc):
            out.update(step)
        return out

    def pick_citation(self, index: int | None, conv: Conversation, lang: str):
        return self.show_answer(conv, lang, index)[self.panel]

    def select_message(self, conv: Conversation, lang: str, evt: gr.SelectData) -> dict:
        k = conv.answer_of(evt.index)
        if k is None:
            return {}
        conv.selected = k
        return {self.ctx.conv: conv, **self.show_answer(conv, lang)}

    def reset(self, conv: Conversation, earlier: object, lang: str) -> dict:
        """A new conversation; the one left goes to the top of the earlier ones."""
        fresh = Conversation()
        earlier = self._earlier(earlier)
        if isinstance(conv, Conversation) and conv.turns:
            earlier = [conv.to_json(), *(c for c in earlier if c.get("id") != conv.id)][:EARLIER]
        return {
            self.ctx.conv: fresh,
            self.ctx.current: None,
            self.ctx.earlier: earlier,
            self.history: self._earlier_update(earlier, lang),
            self.chatbot: [],
            self.question: "",
            self.status: "",
            **self.feedback.hidden(),
            **self.show_answer(fresh, lang),
        }

    # --- conversations kept in the browser (ctx.current, ctx.earlier) -----------------------------
    @staticmethod
    def _earlier(stored: object) -> list[dict]:
        return [c for c in stored if Conversation.from_json(c)][:EARLIER] if isinstance(stored, list) else []

    @staticmethod
    def _earlier_update(earlier: list[dict], lang: str) -> dict:
        choices = []
        for c in earlier:
            conv = Conversation.from_json(c)
            if conv and conv.id:
                choices.append((conv.title(), conv.id))
        return gr.update(choices=choices, value=None, label=t(lang, "history_label"))

    def restore(self, conv: object, current: object, earlier: object, lang: str) -> dict:
        """On page load: the conversation in progress and the list of earlier ones, from the browser. The
        question box opens only then, so that a first question is never drawn over by the restored chat;
        a conversation already under way in this page is kept as it is."""
        ready = {self.question: gr.update(interactive=True), self.send: gr.update(interactive=True)}
        if isinstance(conv, Conversation) and conv.turns:
            return ready
        conv = (Conversation.from_json(current) if current else None) or Conversation()
        return {
            **ready,
            self.ctx.conv: conv,
            self.chatbot: conv.messages(self.render(lang)),
            self.history: self._earlier_update(self._earlier(earlier), lang),
            **self.show_answer(conv, lang),
        }

    def reopen(self, cid: str | None, conv: Conversation, earlier: object, lang: str) -> dict:
        """Reopen an earlier conversation; the one in progress takes its place in the list."""
        earlier = self._earlier(earlier)
        picked = next((c for c in earlier if c.get("id") == cid), None)
        reopened = Conversation.from_json(picked) if picked else None
        if reopened is None:
            return {}
        rest = [c for c in earlier if c.get("id") != cid]
        if isinstance(conv, Conversation) and conv.turns:
            rest = [conv.to_json(), *rest][:EARLIER]
        return {
            self.ctx.conv: reopened,
            self.ctx.current: reopened.to_json(),
            self.ctx.earlier: rest,
            self.history: self._earlier_update(rest, lang),
            self.chatbot: reopened.messages(self.render(lang)),
            **self.feedback.hidden(),
            **self.show_answer(reopened, lang),
        }

    def read_out(self, text: str, lang: str) -> str:
        return status_html(t(lang, "readout_done"), "ok") if text else status_html(t(lang, "nothing_to_copy"), "warn")

    def copied(self, text: str, lang: str) -> str:
        return status_html(t(lang, "copied"), "ok") if text else status_html(t(lang, "nothing_to_copy"), "warn")

    # --- wiring -----------------------------------------------------------------------------------
    def on_register_events(self) -> None:
        ctx = self.ctx
        conv, lang, current, earlier = ctx.conv, ctx.lang, ctx.current, ctx.earlier
        shown = [self.cite_pick, self.panel, self.answer_plain, self.readout_plain]  # show_answer's outputs
        llm = ctx.backend.settings.llm.model is not None
        chat_io = {
            # An extractive answer takes milliseconds and is drawn once: one plain request, without the
            # queue's join-and-stream round trips. A generated answer streams through the queue.
            "fn": self.respond if llm else self.respond_once,
            "queue": llm,
            "inputs": [self.question, conv, lang, ctx.doc],
            "show_progress": "minimal",
            **PRIVATE,
            "outputs": [self.chatbot, self.question, self.status, conv, current, *shown, self.send, self.new_chat],
        }

        # one listener: a second trigger while busy is ignored; the focus goes back to the question box
        gr.on([self.question.submit, self.send.click], **chat_io).then(None, js=FOCUS_JS, **PRIVATE)
        for ds, _ in self.ex_sets:  # clicking a starter question asks it
            ds.click(lambda sample: sample[0], [ds], [self.question], queue=False, **PRIVATE).then(**chat_io)
        self.cite_pick.input(self.pick_citation, [self.cite_pick, conv, lang], [self.panel], **PRIVATE)
        self.chatbot.select(self.select_message, [conv, lang], [conv, *shown], **PRIVATE)
        fresh = [conv, current, earlier, self.history, self.chatbot, self.question, self.status]
        fresh += [self.feedback.box, self.feedback.comment, *shown]
        for trigger in (self.new_chat.click, self.chatbot.clear):  # the chat's own 🗑 button starts over as well
            trigger(self.reset, [conv, earlier, lang], fresh, **PRIVATE).then(None, js=FOCUS_JS, **PRIVATE)
        self.history.input(
            self.reopen,
            [self.history, conv, earlier, lang],
            [conv, current, earlier, self.history, self.chatbot, self.feedback.box, self.feedback.comment, *shown],
            **PRIVATE,
        )
        ctx.blocks.load(
            self.restore,
            [conv, current, earlier, lang],
            [conv, self.chatbot, self.history, self.question, self.send, *shown],
            **PRIVATE,
        ).then(None, js=FOCUS_JS, **PRIVATE)
        self.copy.click(self.copied, [self.answer_plain, lang], [self.status], js=ctx.copy_js, **PRIVATE)
        self.readout.click(self.read_out, [self.readout_plain, lang], [self.status], js=ctx.copy_js, **PRIVATE)
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
            self.readout,
            self.history,
            self.ex_hint,
            self.cite_pick,
            self.panel,
            self.answer_plain,
            self.readout_plain,
            *(ds for ds, _ in self.ex_sets),
            *self.feedback.relabel_outputs(),
        ]

    def relabel(self, lang: str, values: dict) -> dict:
        return {
            self.tab: gr.update(label=t(lang, "tab_chat")),
            self.chatbot: gr.update(
                label=t(lang, "chat_label"), value=values[self.ctx.conv].messages(self.render(lang))
            ),
            self.question: gr.update(label=t(lang, "input_label"), placeholder=t(lang, "placeholder")),
            self.send: gr.update(value=t(lang, "send")),
            self.new_chat: gr.update(value=t(lang, "new_chat")),
            self.copy: gr.update(value=t(lang, "copy")),
            self.readout: gr.update(value=t(lang, "readout")),
            self.history: gr.update(label=t(lang, "history_label")),
            self.ex_hint: t(lang, "examples_hint"),
            **{ds: gr.update(label=group["label"][lang]) for ds, group in self.ex_sets},
            **self.feedback.relabel(lang, values),
            **self.show_answer(values[self.ctx.conv], lang, values[self.cite_pick]),
        }
