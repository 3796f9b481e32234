"""The out-of-scope gate: is a topical question about the notices at all?

score = (best similarity to a clause or sentence) − (best similarity to a typical off-topic hotline
question from data/out_of_scope.txt) + coverage_weight × (share of the question's words the notices or
glossary know). Comparing with off-topic examples, not just an absolute threshold, keeps colloquial
in-scope questions (low similarity to everything) answerable.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from ..records import Query, Verdict
from ..settings import ScopeSettings
from .router import Router

log = logging.getLogger(__name__)


class ScopeGate:
    def __init__(self, router: Router, embeddings, cache_dir: Path | None, settings: ScopeSettings):
        self.router = router
        self.coverage_weight = settings.coverage_weight
        self.threshold = settings.min_score
        path = router.lexicon.data_dir / "out_of_scope.txt"
        examples = [
            ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
        ]
        self.vectors = self._vectors(examples, embeddings, cache_dir)
        self.off_topic_words = frozenset(
            w for e in examples for w in router.lexicon.content_words(e) if not router.knows(w)
        )

    @staticmethod
    def _vectors(examples: list[str], embeddings, cache_dir: Path | None) -> np.ndarray:
        key = hashlib.sha256(("\n".join(examples) + getattr(embeddings, "model_id", "")).encode()).hexdigest()[:16]
        cached = cache_dir / f"out-of-scope-{key}.npy" if cache_dir else None
        if cached and cached.exists():
            try:
                vectors = np.load(cached, allow_pickle=False)
                norms = np.linalg.norm(vectors, axis=1) if vectors.ndim == 2 else np.zeros(0)
                if len(norms) == len(examples) and np.all(np.abs(norms - 1.0) < 0.05):  # unit vectors, one each
                    return vectors
                log.warning("the off-topic vector cache %s is damaged (zeroed or truncated); recomputing it", cached)
            except (OSError, ValueError) as exc:
                log.warning("the off-topic vector cache %s is unreadable (%s); recomputing it", cached, exc)
        vectors = np.asarray(embeddings.embed_documents(examples), dtype="float32")
        if cached:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.npy")
                np.save(tmp, vectors)
                os.replace(tmp, cached)  # never a half-written cache
            except OSError:
                pass
        return vectors

    def judge(self, q: Query, best_similarity: float, vector: list[float]) -> Verdict:
        coined = next((t for t in self.router.coined_terms if t in q.text), None)
        if coined is not None:  # 一事一议, 链长: a term the notices coin (in quotes) is asked about them
            return Verdict(in_scope=True, score=1.0, reason=f"names the notices' term 「{coined}」")
        off_topic = float((self.vectors @ np.asarray(vector, dtype="float32")).max()) if len(self.vectors) else 0.0
        coverage = self.router.coverage(q.text, self.off_topic_words)
        value = best_similarity - off_topic + self.coverage_weight * coverage
        reason = f"scope={value:+.3f} (dense {best_similarity:.3f}, off-topic {off_topic:.3f}, coverage {coverage:.2f})"
        return Verdict(in_scope=value >= self.threshold, score=value, reason=reason)
