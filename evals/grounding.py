"""Grounding: is each sentence of an answer traceable to the sources it cites? (evals/README.md,
"Metrics"; the definition is `sentence_grounded`'s docstring.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant import Notice, cn_date, half_width, int_to_cn

from .datasets import clause_number

FIGURE = re.compile(r"[0-9０-９]+(?:[.．/／][0-9０-９]+)*")
SPANS = re.compile(r"「([^」]+)」|《([^》]+)》|【([^】]+)】|“([^”]+)”")
CLAUSE_REF = re.compile(r"^(?:\S+〔\d{4}〕\d+号\s*)?第[^条\s]{1,4}条\s*")  # 【第N条 …】 or 【文号 第N条 …】
LIST_MARK = re.compile(r"^(?:>\s*|\d{1,3}[.、)]\s+)")
SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+")
WS = re.compile(r"\s+")
MISATTRIBUTED_MIN = 8  # a sentence this long that is notice text of an uncited clause is misattributed


def _squash(text: str) -> str:
    return half_width(WS.sub("", text))


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences: each non-blank line, without a leading "> " quote marker or "N. " list
    number, split after 。！？!? (and after ". " in English)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        while m := LIST_MARK.match(line):
            line = line[m.end() :].strip()
        for part in SENTENCE_END.split(line):
            if part and part.strip():
                out.append(part.strip())
    return out


@dataclass
class Corpus:
    """What the grounding check needs from the notices: the text each citation may be traced to."""

    notices: list[Notice]
    today: date | None = None

    def __post_init__(self) -> None:
        # Keyed by doc_id (an attached document shares its parent's 文号); a citation without a doc_id
        # is traced through its 文号 to the main notice of that number.
        self.header: dict[str, str] = {}
        self.document: dict[str, str] = {}
        self.clauses: dict[tuple[str, int], str] = {}
        self.count: dict[str, int] = {}
        self.by_id = {n.doc_id: n for n in self.notices}
        self.by_number: dict[str, str] = {}
        whole = []
        for n in self.notices:
            self.by_number.setdefault(n.doc_number, n.doc_id)
            head = f"{n.doc_number}\n{n.title}\n{n.office}\n{n.notice_title}"
            self.header[n.doc_id] = head
            clause_texts = [f"{c.label or int_to_cn(c.number) + '、'}{c.text}" for c in n.clauses]
            self.document[n.doc_id] = "\n".join(
                [head, n.preamble, n.effective, *n.closing, cn_date(n.issued), *(c.title for c in n.clauses)]
            )
            for c, t in zip(n.clauses, clause_texts, strict=True):
                self.clauses[(n.doc_id, c.number)] = t
            self.count[n.doc_id] = len(n.clauses)
            whole.append(self.document[n.doc_id] + "\n" + "\n".join(clause_texts))
        self.squashed_all = _squash("\n".join(whole))

    def sources(self, citations: list[dict]) -> tuple[list[str], set[str]]:
        """(texts the cited sources consist of, figures an answer may derive from them)."""
        texts: list[str] = []
        derived: set[str] = {str(len(citations))}
        for cit in citations:
            doc = str(cit.get("doc_id") or "") or self.by_number.get(str(cit.get("doc_number") or ""), "")
            number = clause_number(cit.get("clause"))
            docs = [doc] if doc in self.header else ([self.notices[0].doc_id] if len(self.notices) == 1 else [])
            for d in docs:
                if number is None:
                    texts.append(self.document[d])
                elif (d, number) in self.clauses:
                    texts += [self.header[d], self.clauses[(d, number)]]
                    derived.add(str(number))
                derived.add(str(self.count[d]))
                n = self.by_id[d]
                if self.today:
                    derived |= {
                        str(self.today.year),
                        str(self.today.month),
                        str(self.today.day),
                        f"{self.today.month:02d}",
                        f"{self.today.day:02d}",
                    }
                    if n.valid_until:
                        derived.add(str(abs((n.valid_until - self.today).days)))
        return texts, derived


def sentence_grounded(sentence: str, sources: list[str], derived: set[str], corpus: Corpus) -> bool:
    """A sentence is grounded if (a) its text occurs verbatim (ignoring whitespace) in a cited source,
    or (b) it is a frame sentence that adds nothing of its own: every figure in it (a run of digits)
    occurs as a figure of the cited sources or is derived from them (a cited clause's number, the
    notice's clause count, the number of citations, the date of the run and the days to the
    valid-until date), every quoted name in it (「…」《…》【…】“…”) occurs verbatim in a cited source,
    and it is not notice text of an uncited clause (≥ 8 characters found in the notices but not in the
    cited sources)."""
    s = _squash(sentence)
    if not s:
        return True
    squashed = [_squash(t) for t in sources]
    if any(s in t for t in squashed):
        return True
    if len(s) >= MISATTRIBUTED_MIN and s in corpus.squashed_all:
        return False
    allowed = {f for t in squashed for f in FIGURE.findall(t)} | derived
    if any(f not in allowed for f in FIGURE.findall(s)):
        return False
    for m in SPANS.finditer(sentence):
        name = _squash(CLAUSE_REF.sub("", next(g for g in m.groups() if g is not None)))
        if name and not any(name in t for t in squashed):
            return False
    return True


def grounding(answer: str, citations: list[dict], corpus: Corpus) -> tuple[float | None, list[str]]:
    """(share of the answer's sentences that are grounded, the sentences that are not); None if no sentence."""
    sentences = answer_sentences(answer)
    if not sentences:
        return None, []
    sources, derived = corpus.sources(citations)
    bad = [s for s in sentences if not sentence_grounded(s, sources, derived, corpus)]
    return 1 - len(bad) / len(sentences), bad
