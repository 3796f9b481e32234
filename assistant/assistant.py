"""The one API every shell calls: Assistant.ask(question, history) -> Answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np

from .answer import CitationVerifier, Composer
from .config import Settings
from .corpus import corpus_hash, load_notices
from .embeddings import embedder_id, make_embeddings
from .lexicon import Lexicon
from .llm import make_generator
from .records import Answer, Clause, Hit, Notice, Query
from .retrieval import ClauseIndex, HybridRetriever
from .routing import Router, ScopeGate, figure_kind, states_figure
from .store import Store, sentence_id

log = logging.getLogger(__name__)


class InvalidQuestion(ValueError):
    """The question or history cannot be answered as given. The message (Chinese, then English) says
    why; `code` ("empty", "too_long", "history") and `limit` let a UI word it its own way."""

    def __init__(self, message: str, code: str, limit: int | None = None):
        super().__init__(message)
        self.code = code
        self.limit = limit


@dataclass
class Turn:
    role: str
    content: str


def check_history(history: object) -> list[dict]:
    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidQuestion("对话历史格式不对 / history must be a list of {role, content} objects", "history")
    out = []
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or not isinstance(
                turn.get("content"), str):
            raise InvalidQuestion(
                f"对话历史第{i + 1}项格式不对 / history[{i}] must be {{\"role\": \"user\"|\"assistant\", \"content\": str}}",
                "history")
        out.append({"role": turn["role"], "content": turn["content"]})
    return out


class Assistant:
    """Parses the corpus, opens (or builds) the index, and answers questions with cited clauses."""

    def __init__(self, settings: Settings | None = None, rebuild: bool = False):
        self.settings = s = settings or Settings.from_env()
        t0 = time.perf_counter()
        self.notices: list[Notice] = load_notices(s.corpus_dir)
        units = sorted({u for n in self.notices for c in n.clauses for u in c.units})
        self.lexicon = Lexicon(s.data_dir, extra_words=units)
        self.router = Router(self.notices, self.lexicon)
        self.composer = Composer(self.notices)
        self.verify = CitationVerifier(self.notices)
        model_id = embedder_id(s.embeddings)
        self.embeddings = make_embeddings(s.embeddings, cache_dir=s.index_dir / "cache")
        self.store = Store(s, self.embeddings, model_id)
        self.built = self.store.open(self.notices, corpus_hash(s.corpus_dir), rebuild=rebuild)
        self.retriever = HybridRetriever(index=ClauseIndex(self.notices, self.lexicon), store=self.store,
                                         rrf_k=s.rrf_k, k=s.top_k)
        self._by_id = {n.doc_id: n for n in self.notices}
        self.gate = ScopeGate(self.router, self.embeddings, s.index_dir / "cache", s.coverage_weight, s.min_scope)
        self.llm = make_generator(s, self.composer)  # None unless POLICY_LLM_MODEL is set (llm.py)
        self.startup_seconds = time.perf_counter() - t0

    # --- helpers -----------------------------------------------------------------------------
    def clause(self, doc_id: str, number: int) -> tuple[Notice, Clause]:
        n = self._by_id[doc_id]
        c = n.clause(number)
        assert c is not None
        return n, c

    def _notice_for(self, q: Query) -> Notice:
        for n in self.notices:
            if n.doc_number and n.doc_number in q.text:
                return n
        return self.notices[0]

    def today(self) -> date:
        return self.settings.clock()

    def _quote(self, q: Query, n: Notice, c: Clause, vector: list[float] | None) -> list[str]:
        """Pick the sentences of a clause to quote: lexical overlap + dense similarity, in document order."""
        if not c.sentences:
            return [c.title + "。"]
        tokens = self.retriever.bm25_tokens(q.search_text, q.lang)
        lex = self.retriever.index.sentence_scores((n.doc_id, c.number), tokens)
        dense = [0.0] * len(c.sentences)
        if vector is not None:
            ids = [sentence_id(n.doc_id, c.number, i) for i in range(len(c.sentences))]
            vecs = self.store.vectors(ids)
            v = np.asarray(vector)
            dense = [float(np.dot(v, vecs[i])) if i in vecs else 0.0 for i in ids]
        scores = [(0.0 if q.lang == "en" else lex[i]) + dense[i] for i in range(len(c.sentences))]
        best = max(scores)
        floor = best - 0.3 if best <= 0 else max(best - 0.3, 0.5 * best)
        keep = [i for i, sc in enumerate(scores) if sc >= floor]  # always holds the best sentence
        keep = sorted(sorted(keep, key=lambda i: -scores[i])[:4])
        return [c.sentences[i] for i in keep]

    def in_scope(self, q: Query, hits: list[Hit], vector: list[float]) -> bool:
        if not hits:
            return False
        if q.followup and q.carried is not None and not self.router.topic_words(q.text):
            return True  # "这条找哪个部门？": the previous turn says what it is about
        return self.gate.in_scope(q, hits[0].similarity, vector)

    def warm_up(self) -> None:
        """Load everything that is otherwise loaded on the first question (embedder, caches)."""
        self.retriever.embed("warm up")
        self.ask("用地")

    # --- the API -----------------------------------------------------------------------------
    def ask(self, question: object, history: object = None) -> Answer:
        q, answer, timings, t0 = self._extractive(question, history)
        if self.llm is not None and self.llm.eligible(q, answer):
            answer = self.llm.answer(q, answer, self.today(), timings)
        return self._timed(answer, timings, t0)

    def ask_stream(self, question: object, history: object = None) -> Iterator[tuple[str, Answer | None]]:
        """Yield (text so far, None) while an answer is being generated, then (final text, Answer).

        Extractive answers arrive in one piece; a configured LLM streams (see llm.py)."""
        q, answer, timings, t0 = self._extractive(question, history)
        if self.llm is not None and self.llm.eligible(q, answer):
            for text, final in self.llm.stream(q, answer, self.today(), timings):
                if final is None:
                    yield text, None
                else:
                    answer = final
        answer = self._timed(answer, timings, t0)
        yield answer.text, answer

    def _extractive(self, question: object, history: object) -> tuple[Query, Answer, dict[str, float], float]:
        if not isinstance(question, str) or not question.strip():
            raise InvalidQuestion("问题为空，请输入关于通知的问题 / the question is empty: please type a question about "
                                  "the notice", "empty")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidQuestion(f"问题太长（{len(question)}字），请精简到{limit}字以内 / the question is "
                                  f"{len(question)} characters long; please keep it under {limit}", "too_long", limit)
        turns = check_history(history)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        q = self.router.route(question, turns)
        t1 = time.perf_counter()
        timings["route"] = (t1 - t0) * 1000
        answer = self._answer(q, timings)
        answer = self.verify(answer)
        return q, answer, timings, t0

    @staticmethod
    def _timed(answer: Answer, timings: dict[str, float], t0: float) -> Answer:
        timings["total"] = (time.perf_counter() - t0) * 1000
        answer.timings_ms = {k: round(v, 3) for k, v in timings.items()}
        return answer

    def _answer(self, q: Query, timings: dict[str, float]) -> Answer:
        today = self.today()
        t = time.perf_counter()

        def done(stage: str) -> None:
            nonlocal t
            now = time.perf_counter()
            timings[stage] = timings.get(stage, 0.0) + (now - t) * 1000
            t = now

        if q.kind == "oos":
            return self.composer.refuse(q)
        notice = self._notice_for(q)
        if q.kind == "meta":
            number = (q.clauses or [q.carried])[0] if (q.clauses or q.carried) else None
            a = self.composer.meta(q, notice, today, notice.clause(number) if number else None)
            done("answer")
            return a
        if q.kind == "reverse":
            matches = [(n, c) for n in self.notices for c in n.clauses if q.unit in c.units]
            a = self.composer.reverse(q, q.unit or "", matches, today)
            done("answer")
            return a
        if q.kind == "lookup":
            a = self.composer.lookup(q, notice, q.clauses, today)
            done("answer")
            return a
        if q.kind == "units" and (q.clauses or (q.carried and not self.router.topic_words(q.text))):
            number = (q.clauses or [q.carried])[0]
            c = notice.clause(number)
            if c is None:
                return self.composer.lookup(q, notice, [number], today)
            a = self.composer.units(q, notice, c, today)
            done("answer")
            return a

        if not q.clauses and q.carried is None and not self.router.topic_words(q.search_text):
            return self.composer.clarify(q, today)  # nothing says which measure is meant
        # fact (or units about a topic): hybrid retrieval, then the in-scope gate.
        vector = self.retriever.embed(q.search_text)
        carried = (notice.doc_id, q.carried) if q.carried and notice.clause(q.carried) else None
        hits = self.retriever.rank(q.search_text, q.lang, vector, carried)
        done("retrieve")
        if not self.in_scope(q, hits, vector):
            log.debug("refused %r: %s", q.text, q.reason)
            return self.composer.refuse(q)
        n, c = self.clause(hits[0].doc_id, hits[0].clause)
        if q.kind == "units":
            a = self.composer.units(q, n, c, today)
            done("answer")
            return a
        picks = [(n, c, self._quote(q, n, c, vector))]
        for h in hits[1:2]:
            if h.score >= 0.9 * hits[0].score and "carried" not in hits[0].ranks:
                n2, c2 = self.clause(h.doc_id, h.clause)
                picks.append((n2, c2, self._quote(q, n2, c2, vector)))
        missing = None
        if q.asks_figure:  # asked for a number: say so when the cited clause states none of that kind
            kind = figure_kind(q.text)
            if not states_figure(kind, "".join(picks[0][2])):
                missing = kind
        a = self.composer.fact(q, picks, today, missing)
        done("answer")
        return a
