"""The one API every shell calls: Assistant.ask(question, history) -> Answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import date

from langchain_core.embeddings import Embeddings

from .answering import Answering, CitationVerifier, Composer, Quoter
from .answering.llm import make_generator
from .contract import check_history, check_question
from .corpus import corpus_hash, load_notices
from .embeddings import embedder_id, make_embeddings
from .errors import InvalidQuestion
from .lexicon import Lexicon, read_profiles
from .records import Answer, Kind, Notice, Query
from .retrieval import ClauseIndex, HybridRetriever
from .routing import Router, ScopeGate
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)


class Assistant:
    """Parses the corpus, opens (or builds) the index, and answers questions with cited clauses."""

    def __init__(
        self,
        settings: Settings | None = None,
        rebuild: bool = False,
        build: bool = True,
        embeddings: Embeddings | None = None,
    ):
        """build=False opens the index version being served without building one (see Store.open);
        `embeddings` reuses an embedder already loaded (a process reloading after a reindex)."""
        self.settings = s = settings or Settings.from_env()
        t0 = time.perf_counter()
        self.notices: list[Notice] = load_notices(s.corpus_dir)
        self.profiles = read_profiles(s.corpus_dir, self.notices)
        self.lexicon = Lexicon.for_notices(s.data_dir, s.corpus_dir, self.notices)
        clause_index = ClauseIndex(self.notices, self.lexicon)
        self.router = Router(self.notices, self.lexicon, clause_index.token_families)
        self.composer = Composer(
            self.notices,
            reverse_limit=s.limits.reverse_list,
            clarify_examples={k: p.get("clarify", {}) for k, p in self.profiles.items()},
            english={k: p["english"] for k, p in self.profiles.items() if isinstance(p.get("english"), dict)},
        )
        self.verify = CitationVerifier(self.notices)
        model_id = embedder_id(s.embeddings)
        self.embeddings = embeddings or make_embeddings(s.embeddings, cache_dir=s.index_dir / "cache")
        self.store = Store(s, self.embeddings, model_id)
        self.index_change = self.store.open(self.notices, corpus_hash(s.corpus_dir), rebuild=rebuild, build=build)
        self.built = self.index_change.any  # this process wrote the index (built it or re-indexed notices)
        self.retriever = HybridRetriever(index=clause_index, store=self.store, settings=s.retrieval)
        self.gate = ScopeGate(self.router, self.embeddings, s.index_dir / "cache", s.scope)
        self.answering = Answering(
            self.notices,
            self.composer,
            self.retriever,
            self.router,
            self.gate,
            Quoter(self.retriever, s.quote),
            s.retrieval,
        )
        self.llm = make_generator(
            s.llm, self.composer, self.lexicon.content_words
        )  # None unless POLICY_LLM_MODEL is set
        self.startup_seconds = time.perf_counter() - t0

    def today(self) -> date:
        return self.settings.clock()

    def notice(self, doc_id: str) -> Notice | None:
        return self.answering.by_id.get(doc_id)

    def find_notice(self, doc: str) -> Notice | None:
        """A notice by its doc_id or 文号 (any bracket form)."""
        return self.router.library.resolve(doc)

    def state(self, n: Notice) -> str:
        """in_force / expiring (within 60 days of its end) / expired / repealed / no_expiry, as of today."""
        return self.composer.state(n, self.today())

    def status(self, n: Notice) -> str:
        """现行有效 / 已失效 / 已废止 / 未写明有效期 as of today."""
        return self.composer.status(n, self.today(), "zh")

    def warm_up(self) -> None:
        """Load everything that is otherwise loaded on the first question (embedder, caches). Only the
        extractive path runs: warming up never calls a configured model."""
        self.retriever.embed("warm up")
        first = next((c for n in self.notices for c in n.clauses), None)
        self._extractive(first.title if first else "warm up", None, None)

    # --- the API -----------------------------------------------------------------------------
    def ask(self, question: object, history: object = None, doc: str | None = None, lang: str | None = None) -> Answer:
        """Answer a question. `doc` restricts it to one notice (doc_id or 文号); `lang` ("zh" | "en") is the
        language to answer in when the question shows none (an emoji, a number): a page's language."""
        q, answer, timings, t0 = self._extractive(question, history, doc, lang)
        if self.llm is not None and self.llm.eligible(q, answer):
            answer = self.llm.answer(q, answer, self.today(), timings)
        return self._timed(answer, timings, t0)

    def ask_stream(
        self, question: object, history: object = None, doc: str | None = None, lang: str | None = None
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (text so far, None) while an answer is being generated, then (final text, Answer).

        Extractive answers arrive in one piece; a configured LLM streams (see answering/llm.py)."""
        q, answer, timings, t0 = self._extractive(question, history, doc, lang)
        if self.llm is not None and self.llm.eligible(q, answer):
            for text, final in self.llm.stream(q, answer, self.today(), timings):
                if final is None:
                    yield text, None
                else:
                    answer = final
        answer = self._timed(answer, timings, t0)
        yield answer.text, answer

    def _extractive(
        self, question: object, history: object, doc: str | None, lang: str | None = None
    ) -> tuple[Query, Answer, dict[str, float], float]:
        question = check_question(question, self.settings.limits.question_chars)
        lim = self.settings.limits
        turns = check_history(history, lim.history_turn_chars, lim.history_chars)[-lim.history_turns :]
        if doc is not None:
            found = self.router.library.resolve(doc)
            if found is None:
                raise InvalidQuestion(f"没有这份通知：{doc} / no notice with doc_id or 文号 {doc!r}", "unknown_doc")
            doc = found.doc_id
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        lang = lang if lang in ("zh", "en") else None
        q = self.router.route(question, turns, lang)
        # A request refused as a whole (a rule-breaking ask, another region) is not split into parts.
        parts = self.router.parts(question) if q.kind != Kind.OOS else []
        if len(parts) > 1:
            return self._several(parts, turns, doc, lang, timings, t0)
        timings["route"] = (time.perf_counter() - t0) * 1000
        answer = self.verify(self.answering(q, self.today(), timings, doc))
        return q, answer, timings, t0

    def _several(
        self, parts: list[str], turns: list[dict], doc: str | None, lang: str | None, timings: dict, t0: float
    ) -> tuple[Query, Answer, dict[str, float], float]:
        """Each part answered in turn, the earlier parts and their answers as its conversation (so that
        "…，它还有效吗" leans on the part before); all refused is one refusal."""
        answered: list[tuple[str, Answer]] = []
        first: Query | None = None
        for part in parts:
            t = time.perf_counter()
            q = self.router.route(part, turns, lang)
            timings["route"] = timings.get("route", 0.0) + (time.perf_counter() - t) * 1000
            a = self.verify(self.answering(q, self.today(), timings, doc))
            first = first or q
            turns = [*turns, {"role": "user", "content": part}, {"role": "assistant", "content": a.text}]
            same = next((i for i, (_, b) in enumerate(answered) if b.text == a.text), None)
            if same is not None:  # the same thing asked again in other words (还能用吗？是不是已经过期了？): once
                answered[same] = (f"{answered[same][0]}{part}", answered[same][1])
                continue
            answered.append((part, a))
        assert first is not None
        if len(answered) == 1 or all(a.refused for _, a in answered):
            return first, answered[0][1], timings, t0
        first.kind = Kind.MULTI  # never handed to a model: each part was answered and cited on its own
        return first, self.composer.parts(first.lang, answered), timings, t0

    @staticmethod
    def _timed(answer: Answer, timings: dict[str, float], t0: float) -> Answer:
        timings["total"] = (time.perf_counter() - t0) * 1000
        answer.timings_ms = {k: round(v, 3) for k, v in timings.items()}
        return answer
