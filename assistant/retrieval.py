"""Hybrid retrieval: BM25 over jieba tokens + dense search in Chroma, fused by reciprocal rank.

Language-aware: for an English question the Chinese BM25 only sees the glossary's translation
of its words (at a lower weight); dense search carries it (USE puts zh and en in one space).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from .lexicon import Lexicon
from .records import Hit, Notice
from .settings import RetrievalSettings
from .store import Store, clause_id
from .textnorm import CJK_RUN, QUOTED_TERM, is_chinese, is_english


@dataclass
class ClauseIndex:
    """BM25 over clauses (title + body, without the units bracket) and per-sentence lexical scoring."""

    notices: list[Notice]
    lexicon: Lexicon
    keys: list[tuple[str, int]] = field(default_factory=list)
    # word → the families (a notice with its attachments) whose measures use it; at most two are kept,
    # enough to tell "only this notice" from "another one too" (Library uses it)
    token_families: dict[str, set[str]] = field(default_factory=dict)
    # words of the names a measure puts in quotes (“小升规”, “链长制”) and no other measure uses: a
    # question that says one is about that measure, so such words count twice in BM25
    named_terms: set[str] = field(default_factory=set)
    _sentence_tokens: dict[tuple[str, int], list[set[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets itself to DEBUG on import

        corpus = []
        for n in self.notices:
            for c in n.clauses:
                self.keys.append((n.doc_id, c.number))
                corpus.append(self.lexicon.zh_tokens(c.title + "。" + "".join(c.sentences)) or [""])
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        family = {n.doc_id: n.parent or n.doc_id for n in self.notices}
        for key, toks in zip(self.keys, corpus, strict=True):
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
                fams = self.token_families.setdefault(t, set())
                if len(fams) < 2:
                    fams.add(family[key[0]])
        n_docs = len(corpus)
        for n in self.notices:
            for c in n.clauses:
                for name in QUOTED_TERM.findall("".join(c.sentences)):
                    self.named_terms.update(
                        t for t in self.lexicon.zh_tokens(name) if len(t) >= 2 and df.get(t, 0) == 1
                    )
        self.idf = {t: math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.clauses = {(n.doc_id, c.number): c for n in self.notices for c in n.clauses}

    def scores(self, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in self.bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.keys))
        return self.bm25.get_scores(known)

    def sentence_scores(self, key: tuple[str, int], tokens: list[str]) -> list[float]:
        """IDF-weighted share of the question's tokens found in each sentence of a clause."""
        if key not in self._sentence_tokens:
            clause = self.clauses[key]
            self._sentence_tokens[key] = [set(self.lexicon.zh_tokens(s)) for s in clause.sentences]
        q = set(tokens)
        total = sum(self.idf.get(t, 0.0) for t in q) or 1.0
        return [sum(self.idf.get(t, 0.0) for t in q & st) / total for st in self._sentence_tokens[key]]


@dataclass
class HybridRetriever:
    """Hybrid clause retriever. `rank()` is the typed entry point the assistant uses;
    `as_langchain()` wraps it as a LangChain BaseRetriever (imported only when asked for, since
    langchain_core costs half a second of cold start)."""

    index: ClauseIndex
    store: Store
    settings: RetrievalSettings = field(default_factory=RetrievalSettings)

    def embed(self, text: str) -> list[float]:
        return self.store.embeddings.embed_query(text)

    def query_tokens(self, text: str, lang: str) -> tuple[list[str], list[str]]:
        """(the question's own tokens — none for English —, its glossary expansion), each deduplicated."""
        lex = self.index.lexicon
        # an English question's own tokens are the Chinese terms it names (安徽银保监局), if any
        zh = text if lang == "zh" else " ".join(CJK_RUN.findall(text))
        own = list(dict.fromkeys(lex.zh_tokens(zh))) if zh else []
        expanded = [
            t for t in dict.fromkeys(t for term in lex.expand(text) for t in lex.zh_tokens(term)) if t not in own
        ]
        return own, expanded

    def bm25_tokens(self, text: str, lang: str) -> list[str]:
        own, expanded = self.query_tokens(text, lang)
        return own + expanded

    def bm25_scores(self, text: str, lang: str) -> np.ndarray:
        own, expanded = self.query_tokens(text, lang)
        scores = self.index.scores(own)
        if named := [t for t in own if t in self.index.named_terms]:
            scores = scores + self.index.scores(named)
        if expanded:
            scores = scores + self.settings.expansion_weight * self.index.scores(expanded)
        return scores

    def dense_similarities(self, vector: list[float]) -> dict[tuple[str, int], float]:
        """Best cosine similarity per clause, over the clause document and its sentences."""
        best: dict[tuple[str, int], float] = {}
        for h in self.store.dense(vector, self.settings.dense_depth):
            key = (h.doc_id, h.clause)
            if key not in self.index.clauses:  # an index built from a newer corpus than this process read
                continue
            if h.similarity > best.get(key, -1.0):
                best[key] = h.similarity
        return best

    def rank(
        self,
        text: str,
        lang: str,
        vector: list[float] | None = None,
        carried: tuple[str, int] | None = None,
        k: int | None = None,
    ) -> list[Hit]:
        """Fuse the BM25 and dense rankings (plus a clause carried over from the previous turn).

        fusion="relative" (default): min-max normalise each ranker's scores and add them with weights,
        so a clause that BM25 finds far ahead of the rest keeps that margin; fusion="rrf": reciprocal
        rank fusion, which only looks at ranks.
        """
        s = self.settings
        k = k or s.top_k
        bm25 = self.bm25_scores(text, lang)
        hit = np.flatnonzero(bm25 > 0)
        if len(hit) > s.bm25_depth:  # large corpora: only the best few can win the fusion
            hit = hit[np.argpartition(-bm25[hit], s.bm25_depth)[: s.bm25_depth]]
        rankers: dict[str, dict[tuple[str, int], float]] = {"bm25": {self.index.keys[i]: float(bm25[i]) for i in hit}}
        best_sim = self.dense_similarities(vector) if vector is not None else {}
        rankers["dense"] = best_sim
        weights = {
            "bm25": s.bm25_weight_zh if lang == "zh" else s.bm25_weight_en,
            "dense": 1.0,
            "carried": s.carried_weight,
        }
        if carried is not None:
            rankers["carried"] = {carried: 1.0}

        fused: dict[tuple[str, int], float] = {}
        ranks: dict[tuple[str, int], dict[str, int]] = {}
        for name, scores in rankers.items():
            ordered = sorted(scores, key=lambda key: (-scores[key], key))
            if not ordered:
                continue
            hi, lo = scores[ordered[0]], min(scores.values())
            for r, key in enumerate(ordered, start=1):
                ranks.setdefault(key, {})[name] = r
                if s.fusion == "rrf":
                    part = 1.0 / (s.rrf_k + r)
                else:
                    part = (scores[key] - lo) / (hi - lo) if hi > lo else 1.0
                fused[key] = fused.get(key, 0.0) + weights[name] * part
        top = sorted(fused, key=lambda key: (-fused[key], key))[:k]
        return [Hit(key[0], key[1], fused[key], ranks[key], best_sim.get(key, 0.0)) for key in top]

    def documents(self, query: str) -> list:
        """Ranked clauses as LangChain Documents (text, clause number, units, scores)."""
        from langchain_core.documents import Document

        lang = "en" if is_english(query) or not is_chinese(query) else "zh"
        docs = []
        for h in self.rank(query, lang, self.embed(query)):
            c = self.index.clauses[(h.doc_id, h.clause)]
            docs.append(
                Document(
                    id=clause_id(h.doc_id, h.clause),
                    page_content=c.text,
                    metadata={
                        "doc_id": h.doc_id,
                        "clause": h.clause,
                        "title": c.title,
                        "units": list(c.units),
                        "score": h.score,
                        "ranks": h.ranks,
                        "similarity": h.similarity,
                    },
                )
            )
        return docs

    def as_langchain(self):
        """This retriever as a LangChain BaseRetriever (usable in LCEL chains: `retriever | ...`)."""
        return _langchain_class()(hybrid=self)


@cache
def _langchain_class():
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class PolicyRetriever(BaseRetriever):
        """LangChain face of HybridRetriever."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        hybrid: HybridRetriever

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            return self.hybrid.documents(query)

    return PolicyRetriever
