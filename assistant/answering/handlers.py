"""One handler per question kind, looked up from the routed query's kind (the table in `Answering`).

Document-level kinds (meta, lookup, reverse, units of a named clause) are answered from the parsed
notices; topical kinds (fact, units about a topic) retrieve, pass the out-of-scope gate, then quote.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from collections.abc import Callable
from datetime import date

from ..corpus.parser import line_sentences
from ..records import Answer, Clause, Kind, Notice, Query
from ..retrieval import HybridRetriever
from ..routing import Router, ScopeGate
from ..settings import RetrievalSettings
from ..textnorm import is_chinese
from .compose import Composer
from .quote import Quoter

log = logging.getLogger(__name__)


class Timer:
    """Adds the time since the last lap to timings[stage] (ms)."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self.t) * 1000
        self.t = now


Handler = Callable[[Query, Notice, date, Timer], Answer]


class Answering:
    def __init__(
        self,
        notices: list[Notice],
        composer: Composer,
        retriever: HybridRetriever,
        router: Router,
        gate: ScopeGate,
        quoter: Quoter,
        settings: RetrievalSettings,
    ):
        self.notices = notices
        self.composer = composer
        self.retriever = retriever
        self.router = router
        self.gate = gate
        self.quote = quoter
        self.settings = settings
        self.by_id = {n.doc_id: n for n in notices}
        self.by_unit: dict[str, list[tuple[Notice, Clause]]] = {}  # unit → its measures, in corpus order
        for n in notices:
            for c in n.clauses:
                for u in dict.fromkeys(c.units):
                    self.by_unit.setdefault(u, []).append((n, c))
        # Every measure's text in one string (NUL between measures): "which measures mention X" is one
        # str.find pass however many notices there are, not a Python loop over every measure.
        self._all = [(n, c) for n in notices for c in n.clauses]
        self._starts, pos = [], 0
        for _, c in self._all:
            self._starts.append(pos)
            pos += len(c.text) + 1
        self._texts = "\0".join(c.text for _, c in self._all)
        self.table: dict[Kind, Handler] = {
            Kind.OOS: self.refuse,
            Kind.META: self.meta,
            Kind.REVERSE: self.reverse,
            Kind.LOOKUP: self.lookup,
            Kind.UNITS: self.units,
            Kind.FACT: self.topical,
            Kind.CLARIFY: self.clarify,
        }

    def __call__(self, q: Query, today: date, timings: dict[str, float], doc: str | None = None) -> Answer:
        if doc is not None:  # the caller chose the notice (contract field `doc`)
            q.doc, q.doc_named = doc, True
        notice = self.notice_for(q)
        if (
            notice is None
            and q.kind in (Kind.META, Kind.LOOKUP)
            or (notice is None and q.kind == Kind.UNITS and (q.clauses or q.carried))
        ):
            if q.kind == Kind.META and self.router.topic_words(q.text):
                notice = self._notice_by_topic(q)
            if notice is None:
                return self.composer.which_notice(q, today)
        answer = self.table[q.kind](q, notice or self.notices[0], today, Timer(timings))
        if q.corrections and not answer.refused:
            answer.text = f"{self.composer.read_as(q)}\n{answer.text}"
        return answer

    def notice_for(self, q: Query) -> Notice | None:
        """The notice a question is about: the one asked for or named, the conversation's, the only one."""
        if q.doc is not None:
            return self.by_id[q.doc]
        return self.router.library.default

    def _notice_by_topic(self, q: Query) -> Notice | None:
        """For a document question that also names a topic (工业互联网那个文件还有效吗): the notice of its best clause."""
        hits = self.retriever.rank(q.search_text, q.lang, self.retriever.embed(q.search_text))
        return self.by_id[hits[0].doc_id] if hits else None

    def clause(self, doc_id: str, number: int) -> tuple[Notice, Clause]:
        n = self.by_id[doc_id]
        c = n.clause(number)
        assert c is not None, (doc_id, number)
        return n, c

    # --- document-level kinds ------------------------------------------------------------------
    def clarify(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        return self.composer.clarify(q, today, notice)

    def refuse(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        return self.composer.refuse(q)

    def meta(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        number = (q.clauses or [q.carried])[0] if (q.clauses or q.carried) else None
        a = self.composer.meta(q, notice, today, notice.clause(number) if number else None)
        timer.lap("answer")
        return a

    def reverse(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        within = self._within(q)
        if q.term:  # which measures mention a word
            matches = [(n, c) for n, c in self.mentioning(q.term) if within is None or n.doc_id in within]
            a = self.composer.mentions(q, q.term, matches, today)
        else:
            matches = self.by_unit.get(q.unit or "", [])
            if within is not None:
                matches = [(n, c) for n, c in matches if n.doc_id in within]
            a = self.composer.reverse(q, q.unit or "", matches, today)
        timer.lap("answer")
        return a

    def mentioning(self, term: str) -> list[tuple[Notice, Clause]]:
        """The measures whose text contains the term, in corpus order."""
        out, at = [], self._texts.find(term)
        while at >= 0:
            i = bisect_right(self._starts, at) - 1
            out.append(self._all[i])
            nxt = self._starts[i + 1] if i + 1 < len(self._starts) else len(self._texts)
            at = self._texts.find(term, nxt)
        return out

    def _closing_sentence(self, q: Query, n: Notice, c: Clause) -> str | None:
        """The sentence of the notice's closing paragraphs (组织实施, reporting rules) that holds more of the
        question's words than any sentence of the best measure, if one holds three or more; else None."""
        names = f"{n.title}{n.notice_title}{n.office}"  # words that name the notice say nothing of where
        words = {w for w in self.router.topic_words(q.search_text) if len(w) >= 2 and w not in names}
        if len(words) < 3 or not n.closing:
            return None

        def best(sentences) -> tuple[int, str]:
            return max(((sum(w in s for w in words), s) for s in sentences), default=(0, ""))

        closing = best(line_sentences("\n".join(n.closing)))
        return closing[1] if closing[0] >= 3 and closing[0] > best(c.sentences)[0] else None

    def _within(self, q: Query) -> set[str] | None:
        """The notices a question named (one, or one with its attachments), or None: all of them."""
        if not (q.doc_named and q.doc):
            return None
        return self.router.library.members(q.doc) if q.doc_family else {q.doc}

    def _about_carried(self, q: Query, notice: Notice) -> bool:
        """Does a follow-up stay on the measure just cited? It does when it names nothing, or something
        that measure says; an English one also when its words name no topic at all (neither a word of
        the notices nor of a typical off-topic question: "any fixed amount attached to it?")."""
        words = self.router.topic_words(q.text)
        c = notice.clause(q.carried) if q.carried is not None else None
        if not words or (c is not None and any(len(w) >= 2 and w in c.text for w in words)):
            return True
        off = self.gate.off_topic_words
        return q.lang == "en" and all(not is_chinese(w) and not self.router.knows(w) and w not in off for w in words)

    @staticmethod
    def _numbers(q: Query) -> list[int]:
        """The measures asked about: those named, after the carried one when 它/这条 points to it too."""
        if q.carried is not None and q.clauses and q.carried not in q.clauses:
            return [q.carried, *q.clauses]
        return q.clauses or ([q.carried] if q.carried is not None else [])

    def lookup(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        a = self.composer.lookup(q, notice, self._numbers(q), today)
        timer.lap("answer")
        return a

    def units(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        """Who handles a named (or carried) measure; about a topic it is a topical question."""
        if not (q.clauses or (q.carried and not self.router.topic_words(q.text))):
            return self.topical(q, notice, today, timer)
        numbers = self._numbers(q)
        clauses = [c for k in numbers if (c := notice.clause(k)) is not None]
        if len(clauses) < len(numbers):
            return self.composer.lookup(q, notice, numbers, today)  # says which number the notice lacks
        a = (
            self.composer.units(q, notice, clauses[0], today)
            if len(clauses) == 1
            else self.composer.units_of(q, notice, clauses, today)
        )
        timer.lap("answer")
        return a

    # --- topical kinds ---------------------------------------------------------------------------
    def topical(self, q: Query, notice: Notice, today: date, timer: Timer) -> Answer:
        if not q.clauses and q.carried is None and not self.router.topic_words(q.search_text):
            return self.composer.clarify(q, today, self.notice_for(q))  # nothing says which measure is meant
        vector = self.retriever.embed(q.search_text)
        carried = (notice.doc_id, q.carried) if q.carried and notice.clause(q.carried) else None
        within = self._within(q)
        if within is not None and len(self.notices) > 1:  # a question about one notice is answered from it alone
            hits = [h for h in self.retriever.rank(q.search_text, q.lang, vector, carried, k=200) if h.doc_id in within]
            hits = hits[: self.settings.top_k]
        else:
            hits = self.retriever.rank(q.search_text, q.lang, vector, carried)
        timer.lap("retrieve")
        if not hits:
            return self.composer.refuse(q)
        # "这条找哪个部门？" / "那招商团队呢？": the previous turn says what it is about (its measure names
        # the topic, or there is none), so the gate is not asked.
        if not (q.followup and q.carried is not None and self._about_carried(q, notice)):
            verdict = self.gate.judge(q, hits[0].similarity, vector)
            if not verdict.in_scope:
                log.debug("refused %r: %s", q.text, verdict.reason)
                return self.composer.refuse(q)
        n, c = self.clause(hits[0].doc_id, hits[0].clause)
        if q.kind != Kind.UNITS and (said := self._closing_sentence(q, n, c)):
            a = self.composer.passage(q, n, said, today)  # 每年2月底前报送: said after the measures
            timer.lap("answer")
            return a
        if q.kind == Kind.UNITS:
            a = self.composer.units(q, n, c, today)
            timer.lap("answer")
            return a
        picks = [(n, c, self.quote(q, n, c, vector))]
        for h in hits[1:2]:
            if h.score >= self.settings.second_ratio * hits[0].score and "carried" not in hits[0].ranks:
                n2, c2 = self.clause(h.doc_id, h.clause)
                picks.append((n2, c2, self.quote(q, n2, c2, vector)))
        missing = None
        if q.asks_figure:  # asked for a number: say so when the cited clause states none of that kind
            kind, states = self.router.cues.figure_kind_of(q.text), self.router.cues.states_figure
            quoted = ["".join(p[2]) for p in picks]
            if kind != "any" and len(picks) > 1 and not states(kind, quoted[0]) and states(kind, quoted[1]):
                picks.reverse()  # 打算建几个二级节点: the close second states the count asked for, the first none
                quoted.reverse()
            if not states(kind, quoted[0]):
                missing = kind
        a = self.composer.fact(q, picks, today, missing)
        timer.lap("answer")
        return a
