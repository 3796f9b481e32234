"""Optional generated answers through any OpenAI-compatible chat model, never beyond the notice.

Off unless POLICY_LLM_MODEL is set (langchain-openai is imported only then). The Assistant routes the
question (follow-ups resolved against history), retrieves and composes the extractive answer as always;
for eligible kinds it then hands the routed Query and the retrieved clauses (the extractive answer's
citations) to the generator here (a LangChain prompt template and chat model):

    request → prompt (prompts.py: numbered clauses with text, units, 文号, validity) → chat model → text
            → check → Answer(mode="llm")

The check strips links, images and HTML, then rejects an answer that cites no retrieved clause, refers
to one that was not retrieved, states a figure the cited clauses do not, makes a sentence the cited
clauses do not support (word pairs, absolute claims such as 免费/无需), or repeats its instructions.
Anything it rejects, and any failure of the model (timeout, refused connection, HTTP error, malformed
reply), gives the extractive answer back with a one-line `note` saying why.

The model is always read as a stream, under one deadline per answer (`llm.timeout`), and a streaming
caller is shown only text that passed the check: each sentence once it is complete and checked.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from ..records import Answer, Citation, Clause, Kind, Notice, Query
from ..settings import LLMSettings
from ..textnorm import CN_RUN, FULL_WIDTH, MULT, NUM, cn_date, cn_to_int, cn_value, int_to_cn
from . import prompts
from .compose import Composer

log = logging.getLogger(__name__)

LLM_KINDS = (Kind.FACT, Kind.UNITS)  # lookup/meta/reverse answers are verbatim text or dates: kept extractive


def make_generator(
    settings: LLMSettings, composer: Composer, words: Callable[[str], list[str]] | None = None
) -> LLMAnswerer | None:
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
    return LLMAnswerer(model, composer, settings, words)


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
    stripped: bool = False  # links, images or HTML were removed


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


# Markup a model may emit that must never reach a page: images (a tracking pixel is fetched when shown),
# links (a phishing address rendered as a link), HTML. Link text is kept, the address dropped.
MARKUP = [
    (re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL), ""),
    (re.compile(r"!\[[^\]\n]*\]\s*(?:\([^)\n]*\)|\[[^\]\n]*\])"), ""),  # ![alt](url), ![alt][ref]
    (re.compile(r"\[([^\]\n]*)\]\s*\((?:[a-z][\w+.-]*:|/|www\.)[^)\n]*\)", re.IGNORECASE), r"\1"),  # [text](url)
    (re.compile(r"^\s*\[[^\]\n]+\]:\s*\S+.*$", re.MULTILINE), ""),  # [ref]: url
    (re.compile(r"</?[a-zA-Z][^<>]*>|<!--.*?-->", re.DOTALL), ""),  # tags and comments (<http://…> too)
    (re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);"), ""),  # entities that would smuggle markup back
    (re.compile(r"\b(?:https?|ftp|file|data|javascript):[^\s<>\u3000-\u303f\uff00-\uffef]*", re.IGNORECASE), ""),
    (re.compile(r"\bwww\.[^\s<>\u3000-\u303f\uff00-\uffef]+", re.IGNORECASE), ""),
]


def strip_markup(text: str) -> tuple[str, bool]:
    """The text without images, links, HTML and URLs; and whether anything was removed."""
    out = text
    for rx, repl in MARKUP:
        out = rx.sub(repl, out)
    return out, out != text


# --- support: is each sentence said by the cited clauses? ----------------------------------------
# Most content words of a Chinese sentence (jieba words, without figures, which are checked on their
# own, and without the words any answer is made of) must occur in the cited clauses. Absolute claims
# are checked word by word: 免费 or "free" in an answer needs 免费 (or a word meaning it) in a clause.
# English sentences are checked by claims, figures and references only (their words are not the clauses').
ANSWER_WORDS = set(
    [
        "根据",
        "依据",
        "按照",
        "规定",
        "明确",
        "提到",
        "指出",
        "表示",
        "包括",
        "联系",
        "咨询",
        "申请",
        "办理",
        "提供",
        "相关",
        "部门",
        "单位",
        "政策",
        "通知",
        "文件",
        "措施",
        "条文",
        "内容",
        "方面",
        "可以",
        "需要",
        "建议",
        "如果",
        "具体",
        "情况",
        "主要",
        "目前",
        "负责",
        "您好",
    ]
)
FIGURE_WORD = re.compile(r"^[\d.%％零〇一二两三四五六七八九十百千万亿]+[成倍]?$|分之")  # 20%, 三成, 三分之一
CJK_WORD = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)(?=\s)")
CLAIMS_ZH = (
    "所有", "全部", "一律", "一切", "任何", "免费", "无偿", "无需", "不需要", "不用", "无条件", "免审批",
    "保证", "承诺", "肯定", "一定", "必然", "百分之百", "全额", "全免", "零成本", "自动",
)  # fmt: skip
CLAIMS_EN = {  # an English claim, and the Chinese words of a clause that license it
    r"\b(?:all|every|any|everyone|anyone)\b": ("所有", "全部", "一律", "凡", "均", "各"),
    r"\bfree\b|\bno (?:cost|charge|fee)s?\b": ("免费", "无偿", "免收", "免"),
    r"\bwithout (?:any )?(?:approval|review|application)|\bno (?:approval|review|application)\b|\bno need\b"
    r"|\bnot required\b|\bunconditional": ("无需", "免于", "不需", "无条件", "免"),
    r"\bguarantee|\bpromise|\bcertainly\b|\bdefinitely\b|\bautomatic": ("保证", "确保", "承诺", "保障", "自动"),
}


def _jieba_words(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text) if len(w) >= 2]


def unsupported(body: str, source: str, min_support: float, words: Callable[[str], list[str]]) -> str | None:
    """Why a sentence of `body` is not supported by `source` (the cited clauses), or None."""
    for sentence in SENTENCE_END.split(body):
        sentence = sentence.strip()
        if not sentence:
            continue
        for word in CLAIMS_ZH:
            if word in sentence and word not in source:
                return f"claims 「{word}」, which the cited clauses do not say"
        for rx, licences in CLAIMS_EN.items():
            m = re.search(rx, sentence, re.IGNORECASE)
            if m and not any(w in source for w in licences):
                return f"claims {m[0]!r}, which the cited clauses do not say"
        own = [
            w
            for w in words(sentence)
            if CJK_WORD.search(w) and w not in ANSWER_WORDS and not FIGURE_WORD.search(w.translate(FULL_WIDTH))
        ]
        if len(own) >= 3:
            share = sum(w in source for w in own) / len(own)
            if share < min_support:
                return f"says what the cited clauses do not ({share:.0%} of its words are theirs): {sentence[:40]}"
    return None


def check(
    draft: str,
    sources: list[tuple[Notice, Clause, Citation]],
    min_support: float = 0.5,
    final: bool = True,
    words: Callable[[str], list[str]] = _jieba_words,
) -> Checked:
    """Keep a generated answer only if it cites retrieved clauses and says only what they say.

    final=False checks the complete sentences of a draft still being streamed: no citation is required
    yet, and figures and support are checked against every retrieved clause."""
    allowed = {c.number: c for _, c, _ in sources}
    text, stripped = strip_markup(strip_think(draft))
    text = text.strip()
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
    if final and not cited:
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
    support = []
    for n, c, _ in sources:
        facts = f"{n.doc_number} {cn_date(n.issued)} {cn_date(n.valid_until)}"
        if c.number in cited or not final:
            known |= figure_keys(c.text)
            support += [c.title, c.text, c.units_text, n.title, n.office]
        known |= figure_keys(facts)
        support.append(facts)
    for fig, key in figures(ENUMERATOR.sub(" ", body)):
        if key not in known:
            raise Rejected(f"invented figure {fig}")
    why = unsupported(ENUMERATOR.sub(" ", body), "\n".join(support), min_support, words)
    if why:
        raise Rejected(why)
    return Checked(text=text, cited=cited, removed=removed, stripped=stripped)


def _complete_sentences(draft: str) -> str:
    """The draft up to the end of its last complete sentence ("" while the first is being written)."""
    ends = [m.end() for m in re.finditer(r"[。！？!?；;\n]|\.(?=\s)", draft)]
    return draft[: ends[-1]] if ends else ""


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

    def __init__(
        self,
        model: Any,
        composer: Composer,
        settings: LLMSettings | None = None,
        words: Callable[[str], list[str]] | None = None,  # content words of a text (the corpus's jieba)
    ):
        self.composer = composer
        self.settings = settings or LLMSettings()
        self.words = words or _jieba_words
        self._clauses = {(n.doc_id, c.number): (n, c) for n in composer.notices for c in n.clauses}
        # request → prompt → model, read as a stream of text; the check runs on what it yields. (Plain
        # calls, not one LCEL pipe: a pipe stopped midway leaves its inner generators, and the model's
        # HTTP stream, open until a garbage collection; here closing the stream closes the connection.)
        self.prompt, self.model = prompts.chat_prompt(), model

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
        final = extractive
        for _, final_or_none in self.stream(q, extractive, today, timings):
            final = final_or_none or final
        return final

    def stream(
        self, q: Query, extractive: Answer, today: date, timings: dict[str, float] | None = None
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (checked text so far, None) as each sentence of the draft is complete and passes the
        check, then (final text, Answer). A draft that fails stops being shown at the sentence that
        failed; the final Answer is then the extractive one."""
        t0 = time.perf_counter()
        req = self.request(q, extractive, today)
        lead = self._warning(req)
        draft, shown = "", ""
        try:
            for piece in self._pieces(req, time.monotonic() + self.settings.timeout):
                draft += piece
                complete = _complete_sentences(strip_think(draft))
                if len(complete) > len(shown):
                    text = check(complete, req.sources, self.settings.min_support, final=False, words=self.words).text
                    shown = complete
                    yield lead + text, None
            final = self._finish(req, draft)
        except Rejected as why:
            log.info("generated answer rejected while streaming (%s); answering extractively", why)
            final = self._fallback(req, str(why))
        except Exception as exc:
            final = self._failed(req, exc)
        if timings is not None:
            timings["llm"] = (time.perf_counter() - t0) * 1000
        yield final.text, final

    def _pieces(self, req: Request, deadline: float) -> Iterator[str]:
        """The model's draft piece by piece, until `deadline` (time.monotonic()): a model that trickles
        or stalls cannot hold an answer past it. The stream is read in a thread so that the wait for the
        next piece is bounded too; when we stop early, the thread closes the stream (and its connection)
        at its next piece or at the client's own read timeout."""
        pipe: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def pump() -> None:
            stream = self.model.stream(self.prompt.invoke(prompt_inputs(req)))
            try:
                for chunk in stream:
                    if stop.is_set():
                        break
                    pipe.put(("piece", str(chunk.text)))  # the chunk's text parts (str in langchain-core ≥ 1)
                pipe.put(("end", None))
            except BaseException as exc:  # handed to the reader, which decides (its message is enough)
                if not stop.is_set():
                    pipe.put(("error", exc.with_traceback(None)))
            finally:
                stream.close()

        threading.Thread(target=pump, name="llm-draft", daemon=True).start()
        try:
            while True:
                try:
                    kind, value = pipe.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise TimeoutError(f"no complete answer within {self.settings.timeout:g} s") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()

    # --- helpers ---------------------------------------------------------------------------------
    def _warning(self, req: Request) -> str:
        warning = self.composer.validity_notice(req.sources[0][0], req.today, req.query.lang) if req.sources else ""
        return warning + "\n" if warning else ""

    def _finish(self, req: Request, draft: str) -> Answer:
        try:
            checked = check(draft, req.sources, self.settings.min_support, words=self.words)
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
        notes = [f"removed unknown marker(s) {'、'.join(checked.removed)}"] if checked.removed else []
        notes += ["removed links, images or HTML"] if checked.stripped else []
        note = f"llm: {'; '.join(notes)}" if notes else ""
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
