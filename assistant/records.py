"""Typed records passed between the steps of the data flow (parse → index → route → retrieve → answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal


@dataclass(frozen=True)
class Clause:
    """One measure of a notice, numbered as the notice counts its measures (一、 / 第N条 / （N） straight through)."""

    number: int
    title: str  # its heading, or the phrase before the first 。
    text: str  # the full measure after its number (paragraphs joined by \n), page breaks repaired, units included
    body: str  # text without its units brackets
    sentences: tuple[str, ...]  # the quotable sentences, each ending in its own punctuation
    units: tuple[str, ...]  # responsible units, lead first, in the notice's order
    units_text: str  # the units exactly as written (for reading out)
    label: str = ""  # the notice's own numbering: 四、 / 四、（三十一） / 第五条
    lead_units: tuple[str, ...] = ()  # 牵头 / 责任 / 负责 units
    support_units: tuple[str, ...] = ()  # 配合 units
    units_quote: str = ""  # the units bracket(s) verbatim, e.g. （责任单位：…）; passages joined by ……


@dataclass(frozen=True)
class Notice:
    doc_id: str  # file stem of the source text; an attached document: <stem>.att1, .att2 …
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
    notice_title: str = ""  # the title of the notice that issues it (…关于印发…的通知), when there is one
    addressees: str = ""  # 主送
    copies: str = ""  # 抄送
    approval: str = ""  # the sentence saying who approved it (…已经市政府同意，现印发给你们…), verbatim
    disclosure: str = ""  # how it is published (此件公开发布 / 此件依申请公开), verbatim
    printed: date | None = None  # 印发 date
    effective_date: date | None = None  # when it takes effect, if the notice says
    validity: str = ""  # how the notice states its validity, verbatim (有效期至…, 有效期3年)
    interpreter: str | None = None  # the unit that interprets it (负责解释)
    supersedes: tuple[str, ...] = ()  # 文号 of older notices it repeals (同时废止 / 停止执行)
    parent: str | None = None  # doc_id of the notice an attached document belongs to
    closing: tuple[str, ...] = ()  # the paragraphs after the measures

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
    MULTI = "multi"  # several questions in one: each part answered in turn (Assistant, Composer.parts)
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
    doc: str | None = None  # the notice it is about, when the question names it or the conversation is about one
    doc_named: bool = False  # … named in the question itself (文号, title words), not carried from history
    doc_family: bool = False  # … named by words its attachments share: the notice and its attachments are meant
    followup: bool = False
    unit: str | None = None  # canonical unit name for reverse lookups
    term: str | None = None  # for "which measures mention X": the word X as the notices write it
    meta: str | None = None  # which document fact (doc_number, issued, office, count, goal, plan, validity)
    asks_figure: bool = False  # asks for an amount / ratio / number
    search_text: str = ""  # text used for retrieval (may include the previous question)
    reason: str = ""  # why it was routed this way (for debugging and refusals)
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (heard, read as): 练长 → 链长
    candidates: list[int] = field(default_factory=list)  # 这条 after an answer listing several: which one?


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
    label: str = ""  # the notice's own numbering of the clause (四、（三十一）); "" for document-level facts
    doc_id: str = ""  # the notice cited


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
