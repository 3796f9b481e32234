"""Feedback on an answer, inside the chat tab: the chat's 👍/👎 is logged at once (assistant.feedback masks
personal data), then an optional comment box appears; the comment is logged as a later record with the
same id, which supersedes the first."""

from __future__ import annotations

import gradio as gr

from assistant.feedback import append_jsonl, feedback_record

from ..i18n import t
from ..render import status_html
from ..state import Conversation, Rating
from .base import PRIVATE, AppContext, BasePage

MAX_COMMENT_CHARS = 2000  # a feedback comment longer than this is cut before it is logged


class FeedbackArea(BasePage):
    """Built by the chat page inside its column; rates the answers of ``chatbot``, thanks in ``status``."""

    def __init__(self, ctx: AppContext, chatbot: gr.Chatbot, status: gr.HTML):
        self.chatbot, self.status = chatbot, status
        super().__init__(ctx)

    def on_building_ui(self) -> None:
        with gr.Group(visible=False, elem_id="feedback-box") as self.box:
            self.note = gr.Markdown("", elem_id="feedback-note")
            with gr.Row(equal_height=True):
                self.comment = gr.Textbox(label=t("zh", "comment_label"), lines=1, scale=5, elem_id="feedback-comment")
                self.comment_send = gr.Button(t("zh", "comment_submit"), scale=1, min_width=90, elem_id="feedback-send")

    def hidden(self) -> dict:
        """Updates that close the feedback box (a new conversation)."""
        return {self.box: gr.update(visible=False), self.comment: ""}

    def log(self, conv: Conversation, text: str) -> None:
        assert conv.feedback is not None
        k = conv.feedback.answer
        turn = conv.turns[k]
        append_jsonl(
            self.ctx.backend.settings.feedback_log,
            feedback_record(
                question=turn.question,
                answer=turn.text,
                rating=conv.feedback.rating,
                comment=text,
                citations=turn.cited(),
                feedback_id=conv.feedback_id(k),
                lang=turn.lang,
                kind=turn.kind,
            ),
        )

    def rate(self, conv: Conversation, lang: str, evt: gr.LikeData) -> dict:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        k = conv.answer_of(index)
        if k is None:
            return {}
        rating = {True: "up", False: "down", "": "cleared"}.get(evt.liked, str(evt.liked))
        conv.feedback = Rating(answer=k, rating=rating)
        self.log(conv, "")
        if rating == "cleared":
            return {self.ctx.conv: conv, self.box: gr.update(visible=False)}
        shown = t(lang, rating) if rating in ("up", "down") else rating
        return {
            self.ctx.conv: conv,
            self.box: gr.update(visible=True),
            self.comment: "",
            self.note: t(lang, "feedback_thanks", rating=shown),
        }

    def send_comment(self, text: str, conv: Conversation, lang: str) -> dict:
        if not conv.feedback:
            return {}
        if (text or "").strip():
            self.log(conv, text[:MAX_COMMENT_CHARS])
        conv.feedback = None
        return {
            self.ctx.conv: conv,
            self.box: gr.update(visible=False),
            self.comment: "",
            self.status: status_html(t(lang, "comment_saved"), "ok"),
        }

    def on_register_events(self) -> None:
        conv, lang = self.ctx.conv, self.ctx.lang
        self.chatbot.like(self.rate, [conv, lang], [conv, self.box, self.note, self.comment], **PRIVATE)
        for trigger in (self.comment_send.click, self.comment.submit):
            trigger(
                self.send_comment, [self.comment, conv, lang], [conv, self.box, self.comment, self.status], **PRIVATE
            )

    def relabel_outputs(self) -> list:
        return [self.comment, self.comment_send]

    def relabel(self, lang: str, values: dict) -> dict:
        return {
            self.comment: gr.update(label=t(lang, "comment_label")),
            self.comment_send: gr.update(value=t(lang, "comment_submit")),
        }
