"""The per-browser-session conversation, as typed records (held in a ``gr.State``; no Gradio here).

``turns[k]`` is answer number k and belongs to chat messages 2k (question) and 2k+1 (answer). Feedback
records carry the id "<conversation>-<answer number>": a later record with the same id (a new rating, a
comment) supersedes an earlier one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from assistant import Answer, Citation

from .render import escape_user, md_answer


@dataclass(frozen=True)
class Turn:
    """One question and the answer the assistant gave to it."""

    question: str
    text: str
    refused: bool
    kind: str
    lang: str
    citations: tuple[Citation, ...] = ()

    @classmethod
    def from_answer(cls, question: str, answer: Answer) -> Turn:
        return cls(
            question=question,
            text=answer.text,
            refused=answer.refused,
            kind=answer.kind,
            lang=answer.lang,
            citations=tuple(answer.citations),
        )

    def cited(self) -> list[dict]:
        """The citations as the feedback log records them (which clause of which notice)."""
        return [{"clause": c.clause, "title": c.title, "doc_number": c.doc_number} for c in self.citations]


@dataclass(frozen=True)
class Rating:
    """The latest 👍/👎 the user gave, waiting for an optional comment."""

    answer: int  # index into Conversation.turns
    rating: str  # up | down | cleared


@dataclass
class Conversation:
    id: str | None = None  # set at the first answer (gr.State copies the initial value into every session)
    turns: list[Turn] = field(default_factory=list)
    selected: int | None = None  # the answer whose citations the panel shows
    feedback: Rating | None = None

    def history(self) -> list[dict]:
        """The conversation so far as the Assistant takes it: [{role, content}]."""
        out = []
        for turn in self.turns:
            out += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.text}]
        return out

    def messages(self) -> list[dict]:
        """The chat bubbles: questions shown literally, answers as Markdown."""
        out = []
        for turn in self.turns:
            out += [
                {"role": "user", "content": escape_user(turn.question)},
                {"role": "assistant", "content": md_answer(turn.text)},
            ]
        return out

    def add(self, question: str, answer: Answer) -> Turn:
        """Record an answer and select it."""
        turn = Turn.from_answer(question, answer)
        self.turns.append(turn)
        self.id = self.id or uuid.uuid4().hex[:12]
        self.selected = len(self.turns) - 1
        return turn

    def answer_of(self, message: object) -> int | None:
        """The answer number of chat message ``message`` (its index), or None if there is none."""
        if not isinstance(message, int) or isinstance(message, bool) or message < 0:
            return None
        k = message // 2
        return k if k < len(self.turns) else None

    def selected_turn(self) -> Turn | None:
        k = self.selected
        return self.turns[k] if k is not None and 0 <= k < len(self.turns) else None

    def citations(self) -> list[Citation]:
        """The citations of the selected answer."""
        turn = self.selected_turn()
        return list(turn.citations) if turn else []

    def feedback_id(self, k: int) -> str:
        return f"{self.id}-{k + 1}"
