"""Typed records passed between the steps of the data flow (parse → index → route → retrieve → answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal


@dataclass(frozen=True)
class Clause:
    """One numbered measure of a notice (一、…。（责任单位：…）)."""

    number: int
    title: str  # the phrase before the first 。
    text: str  # the full clause after the number, page breaks repaired, units bracket included
    body: str  # text without the trailing （责任单位：…）
    sentences: tuple[str, ...]  # body split into sentences, each ending in its own punctuation
    units: tuple[str, ...]  # responsible units, in the notice's order
    units_text: str  # the units exactly as written (for reading out)


@dataclass(frozen=True)
class Notice:
    doc_id: str  # file stem of the source text
    doc_number: str  # 文号, e.g. 市政办发〔2023〕31号
    office: str  # issuing office
    title: str  # title of the measures themselves
    issued: date | None
    valid_until: date | None
    effective: str  # the sentence that says when it takes effect / who drafts the plan / validity
    plan_unit: str | None  # unit that drafts the implementation plan
    preamble: str  # the overall goal paragraph
    clauses: tuple[Clause, ...]
    source_sha256: str = ""

    def clause(self, number: int) -> Clause | None:
        return next((c for c in self.clauses if c.number == number), None)


class Kind(StrEnum):
    """What a question asks for; the router sets it, one answer handler serves each, the harness reports by it."""

    FACT = "fact"  # a topical question: retrieve, gate, quote
    LOOKUP = "lookup"  # a measure by number: its full text
    UNITS = "units"  # who handles a measure
    REVERSE = "reverse"  # which measures a unit handles
    META = "meta"  # a document fact: 文号, dates, office, validity, count, goal, plan
    CLARIFY = "clarify"  # nothing says which measure is meant: ask back
    OOS = "oos"  # out of scope or a rule-breaking request: refused
    # Question-set categories beyond answer kinds (evals): a turn that leans on the conversation.
    FOLLOWUP = "followup"


@dataclass(frozen=True)
class Verdict:
    """The out-of-scope gate's decision on a topical question, with the parts of its score."""

    in_scope: bool
    score: float
    reason: str


@dataclass
class Query:
    """A routed question: what is asked, in which language, about which clause(s)."""

    text: str  # the question as asked (whitespace-normalised)
    lang: Literal["zh", "en"]
    kind: Kind = Kind.FACT
    clauses: list[int] = field(default_factory=list)  # explicit 第N条 numbers
    carried: int | None = None  # clause carried over from the previous turn (follow-ups)
    followup: bool = False
    unit: str | None = None  # canonical unit name for reverse lookups
    meta: str | None = None  # which document fact (doc_number, issued, office, count, goal, plan, validity)
    asks_figure: bool = False  # asks for an amount / ratio / number
    search_text: str = ""  # text used for retrieval (may include the previous question)
    reason: str = ""  # why it was routed this way (for debugging and refusals)


@dataclass(frozen=True)
class Hit:
    """A clause ranked by the hybrid retriever."""

    doc_id: str
    clause: int
    score: float  # fused reciprocal-rank score
    ranks: dict[str, int]  # 1-based rank per ranker ("bm25", "dense", "carried")
    similarity: float = 0.0  # best cosine similarity of the clause or one of its sentences


@dataclass
class Citation:
    clause: int | None  # None for document-level facts
    title: str
    doc_number: str
    quote: str  # the verbatim sentences quoted
    units: list[str]


@dataclass
class Answer:
    text: str
    refused: bool
    citations: list[Citation]
    mode: Literal["extractive", "llm"] = "extractive"
    kind: str = ""
    lang: str = "zh"
    note: str = ""  # e.g. why an LLM answer fell back to extractive
    timings_ms: dict[str, float] = field(default_factory=dict)
