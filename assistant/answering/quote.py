"""Which sentences of a clause to quote: lexical overlap with the question plus dense similarity,
kept in document order. Thresholds live in settings (QuoteSettings)."""

from __future__ import annotations

import numpy as np

from ..records import Clause, Notice, Query
from ..retrieval import HybridRetriever
from ..settings import QuoteSettings
from ..store import sentence_id


class Quoter:
    def __init__(self, retriever: HybridRetriever, settings: QuoteSettings):
        self.retriever = retriever
        self.settings = settings

    def __call__(self, q: Query, n: Notice, c: Clause, vector: list[float] | None) -> list[str]:
        if not c.sentences:
            return [c.title + "。"]
        s = self.settings
        tokens = self.retriever.bm25_tokens(q.search_text, q.lang)
        lex = self.retriever.index.sentence_scores((n.doc_id, c.number), tokens)
        dense = [0.0] * len(c.sentences)
        if vector is not None:
            ids = [sentence_id(n.doc_id, c.number, i) for i in range(len(c.sentences))]
            vecs = self.retriever.store.vectors(ids)
            v = np.asarray(vector)
            dense = [float(np.dot(v, vecs[i])) if i in vecs else 0.0 for i in ids]
        # English questions: BM25 only sees the glossary's translation, so sentences are picked by meaning.
        scores = [(0.0 if q.lang == "en" else lex[i]) + dense[i] for i in range(len(c.sentences))]
        best = max(scores)
        floor = best - s.margin if best <= 0 else max(best - s.margin, s.ratio * best)
        keep = [i for i, sc in enumerate(scores) if sc >= floor]  # always holds the best sentence
        keep = sorted(sorted(keep, key=lambda i: -scores[i])[: s.max_sentences])
        return [c.sentences[i] for i in keep]
