"""Feedback on an answer, inside the chat tab: the chat's 👍/👎 is logged at once (assistant.feedback masks
personal data), then an optional comment box appears; the comment is logged as a later record with the
same id, which supersedes the first."""

from __future__ import annotations

import logging

import gradio as gr

from assistant.feedback import BadFeedback, RateLimit, append_jsonl, feedback_record

from ..i18n import t
from ..render import status_html
from ..state import Conversation, Rating
from .base import PRIVATE, AppContext, BasePage

log = logging.getLogger(__name__)


class FeedbackArea(BasePage):
    """Built by the chat page inside its column; rates the answers of ``chatbot``, thanks in ``status``
    (the chat page's status line, set once it exists)."""

    def __init__(self, ctx: AppContext, chatbot: gr.Chatbot, status: gr.HTML | None = None):
        self.chatbot, self.status = chatbot, status
        self.limit = RateLimit(ctx.backend.settings.feedback_rate)
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

    def log(self, conv: Conversation, text: str, request: gr.Request | None) -> bool:
        """Append the record; False (and nothing written) when the client is over its rate or a field
        cannot be logged. Never raises: feedback must not break the chat."""
        assert conv.feedback is not None
        client = getattr(getattr(request, "client", None), "host", None) or "-"
        if not self.limit.allow(client):
            log.warning("feedback from %s over %d/min: not logged", client, self.limit.per_minute)
            return False
        k = conv.feedback.answer
        turn = conv.turns[k]
        s = self.ctx.backend.settings
        try:
            record = feedback_record(
                question=turn.question,
                answer=turn.text,
                rating=conv.feedback.rating,
                comment=text,
                citations=turn.cited(),
                feedback_id=conv.feedback_id(k),
                lang=turn.lang,
                kind=turn.kind,
            )
            append_jsonl(s.feedback_log, record, max_bytes=s.feedback_max_bytes, keep=s.feedback_keep)
        except (BadFeedback, OSError) as exc:
            log.warning("feedback not logged: %s", exc)
            return False
        return True

    def rate(self, conv: Conversation, lang: str, evt: gr.LikeData, request: gr.Request = None) -> dict:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) and evt.index else evt.index
        k = conv.answer_of(index)
        # what the chat's buttons send; anything else (a crafted request) is ignored, never logged
        rating = {True: "up", False: "down", "": "cleared"}.get(evt.liked) if type(evt.liked) in (bool, str) else None
        if k is None or rating is None:
            return {}
        conv.feedback = Rating(answer=k, rating=rating)
        self.log(conv, "", request)
        if rating == "cleared":
            return {self.ctx.conv: conv, self.box: gr.update(visible=False)}
        return {
            self.ctx.conv: conv,
            self.box: gr.update(visible=True),
            self.comment: "",
            self.note: t(lang, "feedback_thanks", rating=t(lang, rating)),
        }

    def send_comment(self, text: str, conv: Conversation, lang: str, request: gr.Request = None) -> dict:
        if not isinstance(conv, Conversation) or not conv.feedback or not 0 <= conv.feedback.answer < len(conv.turns):
            return {}  # nothing rated (or a stale conversation): nothing to attach a comment to
        if isinstance(text, str) and text.strip():
            self.log(conv, text, request)
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
