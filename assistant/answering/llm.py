"""Optional generated answers through any OpenAI-compatible chat model, never beyond the notice.

Off unless POLICY_LLM_MODEL is set (langchain-openai is imported only then). The Assistant routes the
question (follow-ups resolved against history), retrieves and composes the extractive answer as always;
for eligible kinds it then hands the routed Query and the retrieved clauses (the extractive answer's
citations) to the LCEL chain here:

    request → prompt (prompts.py: numbered clauses with text, units, 文号, validity) → chat model → text
            → check (markers, clause references, figures, instruction leaks) → Answer(mode="llm")

Anything the check rejects, and any failure of the model (timeout, refused connection, HTTP error,
malformed reply), gives the extractive answer back with a one-line `note` saying why.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from operator import itemgetter
from typing import Any

from ..records import Answer, Citation, Clause, Kind, Notice, Query
from ..settings import LLMSettings
from ..textnorm import CN_RUN, FULL_WIDTH, MULT, NUM, cn_date, cn_to_int, cn_value, int_to_cn
from . import prompts
from .compose import Composer

log = logging.getLogger(__name__)

LLM_KINDS = (Kind.FACT, Kind.UNITS)  # lookup/meta/reverse answers are verbatim text or dates: kept extractive


def make_generator(settings: LLMSettings, composer: Composer) -> LLMAnswerer | None:
    """A generator for the configured model, or None when no model is configured (extractive only)."""
    if not settings.model:
        return None
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        log.error(
            "POLICY_LLM_MODEL is set but langchain-openai is not installed (pip install -e '.[llm]'); "
            "answering extractively"
        )
        return None
    model = ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",  # Ollama / vLLM accept any key
        timeout=settings.timeout,
        max_retries=0,  # one attempt: a dead model must not hold the asker for several timeouts
        temperature=0,
    )
    return LLMAnswerer(model, composer)


# --- the chain's input ---------------------------------------------------------------------------
@dataclass
class Request:
    query: Query
    extractive: Answer
    sources: list[tuple[Notice, Clause, Citation]]  # retrieved clauses, most relevant first
    today: date


def prompt_inputs(req: Request) -> dict[str, str]:
    notices = list({id(n): n for n, _, _ in req.sources}.values())
    documents = []
    for n in notices:
        if not n.valid_until:
            validity = prompts.NO_EXPIRY
        elif req.today <= n.valid_until:
            validity = prompts.IN_FORCE.format(until=cn_date(n.valid_until))
        else:
            validity = prompts.EXPIRED.format(until=cn_date(n.valid_until))
        documents.append(
            prompts.DOCUMENT.format(
                title=n.title, doc_number=n.doc_number, office=n.office, issued=cn_date(n.issued), validity=validity
            )
        )
    clauses = [
        prompts.CLAUSE.format(
            number=c.number, title=c.title, text=c.text, units=c.units_text or "未注明", doc_number=n.doc_number
        )
        for n, c, _ in req.sources
    ]
    question = re.sub(r"</?问题>", "", req.query.text)  # the question cannot close its own fence
    return {"document": "\n".join(documents), "clauses": "\n\n".join(clauses), "question": question}


# --- the check after generation -----------------------------------------------------------------
class Rejected(Exception):
    """The generated text cannot be shown; the message is the reason (goes into Answer.note)."""


@dataclass
class Checked:
    text: str  # the model's text with markers normalised to 【第N条】
    cited: list[int]  # clause numbers it validly cites, in order of first citation
    removed: list[str] = field(default_factory=list)  # markers naming clauses that were not retrieved


MARKER = re.compile(r"[\[【［（(]([^\[\]【】［］（）()\n]{1,60})[\]】］）)]")
CLAUSE_REF = re.compile(rf"第\s*({NUM})\s*[条條]")
ONLY_REFS = re.compile(rf"\s*(?:第\s*{NUM}\s*[条條][\s、,，和及与]*)+")  # （第1条、第3条）counts as a marker
EN_REF = re.compile(r"\b(?:measure|article|clause|item)s?\s*(?:no\.?\s*|number\s*|#\s*)?(\d+)\b", re.IGNORECASE)
ENUMERATOR = re.compile(r"^\s*(?:[-*#>]+\s*)?(?:\d+[.)、．]|[（(]\d+[)）])\s*", re.MULTILINE)
THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)  # reasoning models (e.g. qwen3 via Ollama)


def strip_think(text: str) -> str:
    return THINK.sub("", text)


def leaks_instructions(text: str, run: int = 12) -> bool:
    """Does the text repeat any `run`-character stretch of the rules in the system prompt?"""
    flat = re.sub(r"\s", "", text)
    for rule in prompts.RULES:
        for i in range(0, max(1, len(rule) - run + 1), run // 2):
            if rule[i : i + run] in flat:
                return True
    return False


def check(draft: str, sources: list[tuple[Notice, Clause, Citation]]) -> Checked:
    """Keep a generated answer only if it cites retrieved clauses and states only their figures."""
    allowed = {c.number: c for _, c, _ in sources}
    text = strip_think(draft).strip()
    cited: list[int] = []
    removed: list[str] = []

    def normalise(m: re.Match) -> str:
        refs = [cn_to_int(x) for x in CLAUSE_REF.findall(m[1])]
        if not refs or (m[0][0] in "（(" and not ONLY_REFS.fullmatch(m[1])):
            return m[0]  # a bracket that is not a citation, e.g. 【注意】 or （详见第1条附件）
        keep = []
        for k in refs:
            if k in allowed:
                keep.append(k)
                cited.append(k)
            else:
                removed.append(f"第{k}条")
        return "".join(f"【第{int_to_cn(k)}条】" for k in dict.fromkeys(keep))

    text = MARKER.sub(normalise, text)
    text = re.sub(r"[ \t]+([，。；、,.;])", r"\1", text)  # tidy the gap a removed marker leaves
    cited = list(dict.fromkeys(cited))
    if not cited:
        raise Rejected("no valid citation" + (f" (removed {'、'.join(removed)})" if removed else ""))

    body = re.sub(r"【第[^】]*条】", " ", text)
    for rx in (CLAUSE_REF, EN_REF):
        for m in rx.finditer(body):
            if cn_to_int(m[1]) not in allowed:
                raise Rejected(f"refers to {m[0].strip()}, which was not retrieved")
        body = rx.sub(" ", body)
    if leaks_instructions(body):
        raise Rejected("repeats its instructions")

    known = set()
    for n, c, _ in sources:
        if c.number in cited:
            known |= figure_keys(c.text)
        known |= figure_keys(f"{n.doc_number} {cn_date(n.issued)} {cn_date(n.valid_until)}")
    for fig, key in figures(ENUMERATOR.sub(" ", body)):
        if key not in known:
            raise Rejected(f"invented figure {fig}")
    return Checked(text=text, cited=cited, removed=removed)


# --- figures: numbers with their units, compared by value ----------------------------------------
UNITS: dict[str, tuple[str, Fraction]] = {
    "%": ("ratio", Fraction(1, 100)),
    "％": ("ratio", Fraction(1, 100)),
    "percent": ("ratio", Fraction(1, 100)),
    "per cent": ("ratio", Fraction(1, 100)),
    "成": ("ratio", Fraction(1, 10)),
    "倍": ("times", Fraction(1)),
    "元": ("money", Fraction(1)),
    "yuan": ("money", Fraction(1)),
    "亩": ("area", Fraction(1)),
    "mu": ("area", Fraction(1)),
    "平方米": ("m2", Fraction(1)),
    "平米": ("m2", Fraction(1)),
    "公顷": ("hectare", Fraction(1)),
    "个工作日": ("workday", Fraction(1)),
    "工作日": ("workday", Fraction(1)),
    "working days": ("workday", Fraction(1)),
    "天": ("day", Fraction(1)),
    "日": ("day", Fraction(1)),
    "days": ("day", Fraction(1)),
    "个月": ("month", Fraction(1)),
    "月": ("month", Fraction(1)),
    "months": ("month", Fraction(1)),
    "年": ("year", Fraction(1)),
    "years": ("year", Fraction(1)),
}
UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
FIGURE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"|(?P<a>\d+)\s*/\s*(?P<b>\d+)"
    rf"|(?P<den>{CN_RUN}|\d+)分之(?P<numer>{CN_RUN}|\d+(?:\.\d+)?)"
    rf"|(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(?P<mult>[千万亿])?\s*(?P<unit>{UNIT})?(?![a-z])"
    rf"|(?P<cn>{CN_RUN})\s*(?P<cnunit>{UNIT})",
    re.IGNORECASE,
)


def figures(text: str) -> list[tuple[str, tuple]]:
    """Each number the text states, as (the words, key); key = (dimension, value)."""
    out = []
    for m in FIGURE.finditer(text.translate(FULL_WIDTH)):
        if m["y"]:
            key: tuple = ("date", int(m["y"]), int(m["m"]), int(m["d"]))
        elif m["a"]:
            if int(m["b"]) == 0:
                continue
            key = ("ratio", Fraction(int(m["a"]), int(m["b"])))
        elif m["den"]:
            den, numer = (Fraction(x) if x[0].isdigit() else cn_value(x) for x in (m["den"], m["numer"]))
            if not den:
                continue
            key = ("ratio", numer / den)
        elif m["num"]:
            value = Fraction(m["num"].replace(",", "")) * MULT.get(m["mult"] or "", 1)
            dim, factor = UNITS[m["unit"].lower()] if m["unit"] else ("plain", Fraction(1))
            key = (dim, value * factor)
        else:
            dim, factor = UNITS[m["cnunit"].lower()]
            key = (dim, cn_value(m["cn"]) * factor)
        out.append((m[0].strip(), key))
    return out


def figure_keys(source: str) -> set[tuple]:
    """Keys an answer may use when relying on `source`: each figure's own key, its bare number
    (20% also allows "20"), and the parts of a date."""
    keys: set[tuple] = set()
    for words, key in figures(source):
        keys.add(key)
        if key[0] == "date":
            _, y, mo, d = key
            keys |= {
                ("plain", Fraction(y)),
                ("plain", Fraction(mo)),
                ("plain", Fraction(d)),
                ("year", Fraction(y)),
                ("month", Fraction(mo)),
                ("day", Fraction(d)),
            }
        elif key[0] != "ratio" or "%" in words or "％" in words:
            bare = re.match(r"[\d.,]+", words.translate(FULL_WIDTH))
            if bare:
                keys.add(("plain", Fraction(bare[0].replace(",", ""))))
    return keys


# --- the generator -------------------------------------------------------------------------------
class LLMAnswerer:
    """Turns an eligible extractive answer into a generated one, or gives it back with a note."""

    def __init__(self, model: Any, composer: Composer):
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.runnables import RunnableLambda, RunnablePassthrough

        self.composer = composer
        self._clauses = {(n.doc_id, c.number): (n, c) for n in composer.notices for c in n.clauses}
        # request → text (streamable); the full chain adds the check: {"request"} → Answer.
        self.draft = RunnableLambda(prompt_inputs) | prompts.chat_prompt() | model | StrOutputParser()
        self.chain = RunnablePassthrough.assign(draft=itemgetter("request") | self.draft) | RunnableLambda(self._finish)

    def eligible(self, q: Query, extractive: Answer) -> bool:
        """Only in-scope questions of the kinds we generate for, with at least one cited clause.
        Refusals (out of scope, injections caught by the router) never reach the model."""
        return (
            q.kind in LLM_KINDS and not extractive.refused and any(c.clause is not None for c in extractive.citations)
        )

    def request(self, q: Query, extractive: Answer, today: date) -> Request:
        sources = []
        for cit in extractive.citations:
            if (cit.doc_id, cit.clause) in self._clauses:
                n, c = self._clauses[(cit.doc_id, cit.clause)]
                sources.append((n, c, cit))
        return Request(q, extractive, sources, today)

    def answer(self, q: Query, extractive: Answer, today: date, timings: dict[str, float] | None = None) -> Answer:
        t0 = time.perf_counter()
        req = self.request(q, extractive, today)
        try:
            return self.chain.invoke({"request": req})
        except Exception as exc:
            return self._failed(req, exc)
        finally:
            if timings is not None:
                timings["llm"] = (time.perf_counter() - t0) * 1000

    def stream(
        self, q: Query, extractive: Answer, today: date, timings: dict[str, float] | None = None
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (text so far, None) per token, then (final text, Answer) once the check has run."""
        t0 = time.perf_counter()
        req = self.request(q, extractive, today)
        lead = self._warning(req)
        draft = ""
        try:
            for piece in self.draft.stream(req):
                draft += piece
                yield lead + strip_think(draft).lstrip(), None
            final = self._finish({"request": req, "draft": draft})
        except Exception as exc:
            final = self._failed(req, exc)
        if timings is not None:
            timings["llm"] = (time.perf_counter() - t0) * 1000
        yield final.text, final

    # --- helpers ---------------------------------------------------------------------------------
    def _warning(self, req: Request) -> str:
        warning = self.composer.validity_notice(req.sources[0][0], req.today, req.query.lang) if req.sources else ""
        return warning + "\n" if warning else ""

    def _finish(self, inputs: dict) -> Answer:
        req: Request = inputs["request"]
        try:
            checked = check(inputs["draft"], req.sources)
        except Rejected as why:
            log.info("generated answer rejected (%s); answering extractively", why)
            return self._fallback(req, str(why))
        by_number = {c.number: (n, c, cit) for n, c, cit in req.sources}
        cited = [by_number[k] for k in checked.cited]
        sources = "；".join(self.composer.cite(n, c) for n, c, _ in cited)
        text = f"{self._warning(req)}{checked.text}\n\n{prompts.SOURCES[req.query.lang]}{sources}"
        # Citations are ours: the extractive citations (verbatim quotes) of the clauses it cites,
        # most relevant first.
        cited_set = set(checked.cited)
        citations = [cit for _, c, cit in req.sources if c.number in cited_set]
        note = f"llm: removed unknown marker(s) {'、'.join(checked.removed)}" if checked.removed else ""
        return Answer(
            text=text,
            refused=False,
            citations=citations,
            mode="llm",
            kind=req.query.kind,
            lang=req.query.lang,
            note=note,
        )

    def _failed(self, req: Request, exc: Exception) -> Answer:
        first = (str(exc).splitlines() or [""])[0][:200]
        reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        log.warning("LLM unavailable (%s); answering extractively", reason)
        return self._fallback(req, f"model unavailable ({reason})")

    @staticmethod
    def _fallback(req: Request, why: str) -> Answer:
        a = req.extractive
        return Answer(
            text=a.text,
            refused=a.refused,
            citations=a.citations,
            mode="extractive",
            kind=a.kind,
            lang=a.lang,
            note=f"llm_fallback: {why}",
            timings_ms=a.timings_ms,
        )
