"""The per-browser-session conversation, as typed records (held in a ``gr.State``; no Gradio here).

``turns[k]`` is answer number k and belongs to chat messages 2k (question) and 2k+1 (answer). Feedback
records carry the id "<conversation>-<answer number>": a later record with the same id (a new rating, a
comment) supersedes an earlier one."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

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

    def messages(self, render: Callable[[Turn, bool], str] | None = None) -> list[dict]:
        """The chat bubbles: questions shown literally, answers as Markdown, or as `render(turn, latest)`
        draws them."""
        out = []
        for k, turn in enumerate(self.turns):
            latest = k == len(self.turns) - 1
            out += [
                {"role": "user", "content": escape_user(turn.question)},
                {"role": "assistant", "content": render(turn, latest) if render else md_answer(turn.text)},
            ]
        return out

    # --- kept in the browser (gr.BrowserState): plain JSON, checked when read back -----------------
    def to_json(self) -> dict:
        return {
            "id": self.id,
            "saved": int(time.time()),
            "turns": [
                {
                    **{k: getattr(t, k) for k in ("question", "text", "refused", "kind", "lang")},
                    "citations": [asdict(c) for c in t.citations],
                }
                for t in self.turns
            ],
        }

    @classmethod
    def from_json(cls, obj: object) -> Conversation | None:
        """A conversation read back from the browser, or None if it is not one (storage is the user's)."""
        try:
            assert isinstance(obj, dict) and isinstance(obj.get("turns"), list) and len(obj["turns"]) <= MAX_TURNS
            turns = [_turn(t) for t in obj["turns"]]
            cid = obj.get("id")
            assert cid is None or (isinstance(cid, str) and len(cid) <= 32)
        except (AssertionError, KeyError, TypeError, ValueError):
            return None
        return cls(id=cid, turns=turns, selected=len(turns) - 1 if turns else None)

    def title(self) -> str:
        """How the conversation is listed among earlier ones: its first question."""
        q = self.turns[0].question if self.turns else ""
        return q if len(q) <= 30 else q[:29] + "…"

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


MAX_TURNS = 200  # a stored conversation longer than this is not read back
_CITATION_FIELDS = {f.name for f in fields(Citation)}


def _turn(obj: object) -> Turn:
    assert isinstance(obj, dict)
    text = {k: obj[k] for k in ("question", "text", "kind", "lang")}
    assert all(isinstance(v, str) and len(v) <= 50_000 for v in text.values()) and isinstance(obj["refused"], bool)
    cits = obj.get("citations", [])
    assert isinstance(cits, list) and len(cits) <= 50
    citations = []
    for c in cits:
        assert isinstance(c, dict) and set(c) <= _CITATION_FIELDS
        citations.append(Citation(**c))
        assert isinstance(c["quote"], str) and isinstance(c["title"], str) and isinstance(c["units"], list)
        assert c["clause"] is None or (isinstance(c["clause"], int) and not isinstance(c["clause"], bool))
    return Turn(**text, refused=obj["refused"], citations=tuple(citations))
