"""The Chroma store: one cosine collection holding each clause and each of its sentences.

Clause documents carry the retrieval signal for the whole measure; sentence documents let dense
search find the one sentence a question is about and let the answer pick what to quote.
A manifest (corpus hash + embedder id + schema) decides when the store must be rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .records import Notice
from .settings import Settings

log = logging.getLogger(__name__)
SCHEMA = 2  # bump when the documents stored per clause change (forces a rebuild)
BATCH = 2000


class ChromaEmbeddingFunction:
    """Adapter so Chroma embeds with our LangChain Embeddings (never with its own download)."""

    def __init__(self, embeddings: Embeddings | None, model_id: str):
        self._embeddings = embeddings  # None when Chroma rebuilt us from a stored config: made on first use
        self._model_id = model_id

    def __call__(self, input: list[str]) -> list[Any]:
        import numpy as np

        if self._embeddings is None:
            from .embeddings import make_embeddings

            spec = self._model_id.removeprefix("sentence-transformers/")
            self._embeddings = make_embeddings("sentence-transformers:" + spec if spec != self._model_id else "use")
        return [np.asarray(v, dtype="float32") for v in self._embeddings.embed_documents(list(input))]

    def embed_query(self, input: list[str]) -> list[Any]:
        return self(input)

    @staticmethod
    def name() -> str:
        return "policy-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"model_id": self._model_id}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(None, str(config.get("model_id", "")))

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def is_legacy(self) -> bool:
        return False


@dataclass(frozen=True)
class DenseHit:
    id: str
    doc_id: str
    clause: int
    sentence: int  # -1 for the clause document
    similarity: float


@dataclass
class IndexChange:
    """What opening the index changed: built from scratch, or the notices re-indexed one by one."""

    built: bool = False
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return self.built or bool(self.added or self.changed or self.removed)

    def describe(self) -> str:
        if self.built:
            return f"built ({len(self.added)} notice(s))"
        if not self.any:
            return "up to date"
        parts = [
            f"{len(v)} {k} ({', '.join(v[:5])}{' …' if len(v) > 5 else ''})"
            for k, v in (("added", self.added), ("changed", self.changed), ("removed", self.removed))
            if v
        ]
        return "updated: " + "; ".join(parts)


def notice_hash(n: Notice) -> str:
    """A hash of what the index stores for one notice (its documents and their metadata)."""
    ids, docs, metas = _documents([n])
    return hashlib.sha256(json.dumps([ids, docs, metas], ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def clause_id(doc_id: str, number: int) -> str:
    return f"{doc_id}#{number}"


def sentence_id(doc_id: str, number: int, i: int) -> str:
    return f"{doc_id}#{number}.s{i}"


def _documents(notices: list[Notice]) -> tuple[list[str], list[str], list[dict]]:
    ids, docs, metas = [], [], []
    for n in notices:
        base = {
            "doc_id": n.doc_id,
            "doc_number": n.doc_number,
            "valid_until": n.valid_until.isoformat() if n.valid_until else "",
        }
        for c in n.clauses:
            common = {**base, "clause": c.number, "label": c.label, "title": c.title, "units": "、".join(c.units)}
            ids.append(clause_id(n.doc_id, c.number))
            docs.append(f"{c.title}。{''.join(c.sentences)}")
            metas.append({**common, "level": "clause", "sentence": -1})
            for i, s in enumerate(c.sentences):
                ids.append(sentence_id(n.doc_id, c.number, i))
                docs.append(s)
                metas.append({**common, "level": "sentence", "sentence": i})
    return ids, docs, metas


class Store:
    def __init__(self, settings: Settings, embeddings: Embeddings, model_id: str):
        self.settings = settings
        self.embeddings = embeddings
        self.model_id = model_id
        self._ef = ChromaEmbeddingFunction(embeddings, model_id)
        self._client = None
        self.collection = None
        self.build_seconds: float | None = None  # set when this process (re)built the store
        self._vector_cache: dict[str, Any] = {}
        self._count: int | None = None  # documents in the collection (fixed while it is open)

    @property
    def embedding_function(self) -> ChromaEmbeddingFunction:
        """Our embedder as a Chroma embedding function (so Chroma never loads its own)."""
        return self._ef

    # --- client ----------------------------------------------------------------------------
    def client(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
            from chromadb.utils.embedding_functions import known_embedding_functions, register_embedding_function

            if ChromaEmbeddingFunction.name() not in known_embedding_functions:
                register_embedding_function(ChromaEmbeddingFunction)

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            s = self.settings
            if s.chroma.host:
                self._client = chromadb.HttpClient(host=s.chroma.host, port=s.chroma.port, settings=chroma_settings)
            else:
                s.index_dir.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(s.index_dir / "chroma"), settings=chroma_settings)
        return self._client

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.index_dir / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def manifest(self, corpus_sha256: str) -> dict:
        return {"schema": SCHEMA, "corpus_sha256": corpus_sha256, "embedder": self.model_id}

    # --- open / build ------------------------------------------------------------------------
    def open(self, notices: list[Notice], corpus_sha256: str, rebuild: bool = False) -> IndexChange:
        """Open the collection: build it when missing, of another schema or embedder, or asked to; else
        re-index only the notices that were added, changed or removed (by a hash of each notice's
        documents). Returns what changed. A damaged local store (garbage pages in chroma.sqlite3 …) is
        moved aside with one log line and built again."""
        try:
            change = self._open(notices, corpus_sha256, rebuild)
            self._check()
            return change
        except Exception as exc:
            if self.settings.chroma.host:
                raise  # a server's store is the server's to repair
            aside = self._move_aside(exc)
            log.warning(
                "the index at %s is damaged (%s: %s); moved it to %s and building it again",
                self.settings.index_dir / "chroma",
                type(exc).__name__,
                str(exc).splitlines()[0][:120],
                aside,
            )
            change = self._open(notices, corpus_sha256, rebuild=True)
            self._check()
            return change

    def _check(self) -> None:
        """Touch what answering needs, so that damage shows now and not on the first question."""
        assert self.collection is not None
        if self.collection.count() > 0:
            self.collection.peek(1)

    def _move_aside(self, exc: Exception) -> Path:
        from chromadb.api.client import SharedSystemClient

        self._client = None
        self.collection = None
        SharedSystemClient.clear_system_cache()  # chromadb keeps one client per path
        src = self.settings.index_dir / "chroma"
        dst = self.settings.index_dir / f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        if src.exists():
            os.replace(src, dst)
        return dst

    def _open(self, notices: list[Notice], corpus_sha256: str, rebuild: bool = False) -> IndexChange:
        want = self.manifest(corpus_sha256)
        docs_want = {n.doc_id: notice_hash(n) for n in notices}
        with self._lock():
            client = self.client()
            name = self.settings.chroma.collection
            existing = None
            if not rebuild:
                try:
                    existing = client.get_collection(name, embedding_function=self._ef)
                except Exception:  # chromadb raises NotFoundError/ValueError depending on mode
                    existing = None
            meta = (existing.metadata or {}) if existing is not None else {}
            same_kind = existing is not None and all(meta.get(k) == want[k] for k in ("schema", "embedder"))
            if not same_kind or existing.count() == 0:
                reason = "asked" if rebuild else ("missing" if existing is None else "schema or embedder changed")
                log.info("building the index (%s)", reason)
                self._build(client, notices, {**want, "docs": json.dumps(docs_want)})
                return IndexChange(built=True, added=sorted(docs_want))
            try:
                docs_have = json.loads(str(meta.get("docs", "{}")))
            except json.JSONDecodeError:
                docs_have = {}
            change = IndexChange(
                added=sorted(set(docs_want) - set(docs_have)),
                removed=sorted(set(docs_have) - set(docs_want)),
                changed=sorted(k for k in docs_want if k in docs_have and docs_have[k] != docs_want[k]),
            )
            self.collection = existing
            self._count = None
            if change.any:
                t0 = time.perf_counter()
                stale = change.removed + change.changed
                if stale:
                    existing.delete(where={"doc_id": {"$in": stale}})
                fresh = [n for n in notices if n.doc_id in set(change.added + change.changed)]
                self._add(existing, fresh)
                existing.modify(metadata={**want, "docs": json.dumps(docs_want)})  # the space is fixed at creation
                self._vector_cache.clear()
                self.build_seconds = time.perf_counter() - t0
                self._write_manifest({**want, "docs": ""}, existing.count(), len(notices))
                log.info("index updated: %s", change.describe())
            return change

    def _add(self, collection, notices: list[Notice]) -> int:
        ids, docs, metas = _documents(notices)
        # Embed each distinct text once (notices repeat sentences; a clause of one sentence repeats it).
        unique = list(dict.fromkeys(docs))
        vectors_by_text: dict[str, list[float]] = {}
        for i in range(0, len(unique), BATCH):
            chunk = unique[i : i + BATCH]
            vectors_by_text.update(zip(chunk, self.embeddings.embed_documents(chunk), strict=True))
        for i in range(0, len(ids), BATCH):
            collection.add(
                ids=ids[i : i + BATCH],
                documents=docs[i : i + BATCH],
                metadatas=metas[i : i + BATCH],
                embeddings=[vectors_by_text[d] for d in docs[i : i + BATCH]],
            )
        return len(ids)

    def _build(self, client, notices: list[Notice], manifest: dict) -> None:
        t0 = time.perf_counter()
        name = self.settings.chroma.collection
        try:
            client.delete_collection(name)
        except Exception:
            pass
        collection = client.create_collection(
            name, embedding_function=self._ef, metadata={**manifest, "hnsw:space": "cosine"}
        )
        n_docs = self._add(collection, notices)
        self.collection = collection
        self._vector_cache.clear()
        self._count = None
        self.build_seconds = time.perf_counter() - t0
        self._write_manifest(manifest, n_docs, len(notices))

    def _write_manifest(self, manifest: dict, documents: int, notices: int) -> None:
        """index/manifest.json: what the local store holds (for people; the collection metadata decides)."""
        if self.settings.chroma.host:
            return
        info = {
            **{k: v for k, v in manifest.items() if k != "docs"},
            "collection": self.settings.chroma.collection,
            "documents": documents,
            "notices": notices,
            "build_seconds": round(self.build_seconds or 0.0, 3),
        }
        (self.settings.index_dir / "manifest.json").write_text(json.dumps(info, indent=2) + "\n")

    # --- queries -----------------------------------------------------------------------------
    def dense(self, vector: list[float], n: int) -> list[DenseHit]:
        """Nearest clause and sentence documents to a query vector (cosine similarity, best first)."""
        assert self.collection is not None, "open() the store first"
        if self._count is None:
            self._count = self.collection.count()
        n = min(n, self._count)
        res = self.collection.query(query_embeddings=[vector], n_results=n, include=["metadatas", "distances"])
        hits = []
        for id_, meta, dist in zip(res["ids"][0], res["metadatas"][0], res["distances"][0], strict=True):
            hits.append(
                DenseHit(id_, str(meta["doc_id"]), int(meta["clause"]), int(meta["sentence"]), 1.0 - float(dist))
            )
        return hits

    def vectors(self, ids: list[str]) -> dict[str, Any]:
        """Stored vectors by id (cached: the collection does not change while it is open)."""
        assert self.collection is not None, "open() the store first"
        missing = [i for i in ids if i not in self._vector_cache]
        if missing:
            res = self.collection.get(ids=missing, include=["embeddings"])
            self._vector_cache.update(zip(res["ids"], res["embeddings"], strict=True))
        return {i: self._vector_cache[i] for i in ids if i in self._vector_cache}
