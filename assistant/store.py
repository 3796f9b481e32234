"""The Chroma store: one cosine collection holding each clause and each of its sentences.

Clause documents carry the retrieval signal for the whole measure; sentence documents let dense
search find the one sentence a question is about and let the answer pick what to quote.
Each build is a new version beside the one being served, switched to atomically (see "versions").
The version's metadata (corpus hash, embedder id, schema, a hash per notice) decides what must be rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import BuildError
from .records import Notice
from .settings import Settings

log = logging.getLogger(__name__)
SCHEMA = 3  # bump when the documents stored per clause change (forces a rebuild); 3: versioned collections
BATCH = 2000


class ChromaEmbeddingFunction:
    """Adapter so Chroma embeds with our LangChain Embeddings (never with its own download)."""

    def __init__(self, embeddings: Embeddings | None, model_id: str):
        self._embeddings = embeddings  # None when Chroma rebuilt us from a stored config: made on first use
        self._model_id = model_id

    def __call__(self, input: list[str]) -> list[Any]:
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


def _writable(folder: Path) -> bool:
    """Can this process write in `folder` (or create it)? False on a read-only filesystem."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def _hit(id_: str, similarity: float) -> DenseHit:
    """A hit from its document id (see clause_id / sentence_id): <doc_id>#<clause>[.s<sentence>]."""
    doc_id, rest = id_.rsplit("#", 1)
    clause, _, sentence = rest.partition(".s")
    return DenseHit(id_, doc_id, int(clause), int(sentence) if sentence else -1, similarity)


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
        self.version: str | None = None  # the name of the version collection in use
        self.build_seconds: float | None = None  # set when this process (re)built the store
        self._vector_cache: dict[str, Any] = {}
        self._count: int | None = None  # documents in the collection (fixed while it is open)
        self._matrix: tuple[Any, list[str]] | None = None  # a small version's vectors, for exact search
        self._matrix_lock = threading.Lock()
        # A local index in a folder this process cannot write (a read-only mount, an image layer) is
        # served from a private copy: Chroma writes to its files even to read them. Nothing is built then.
        self.read_only = not settings.chroma.host and not _writable(settings.index_dir)
        self._copy: Path | None = None

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
            elif self.read_only:
                self._client = chromadb.PersistentClient(path=str(self._private_copy()), settings=chroma_settings)
            else:
                s.index_dir.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(s.index_dir / "chroma"), settings=chroma_settings)
        return self._client

    def _private_copy(self) -> Path:
        """A copy of the read-only store in a temporary folder, removed when this Store goes."""
        src = self.settings.index_dir / "chroma"
        if not (src / "chroma.sqlite3").is_file():
            raise BuildError(
                f"the index folder {self.settings.index_dir} is read-only and holds no index: "
                "build it (policy-assistant index) where it can be written, then mount it"
            )
        tmp = Path(tempfile.mkdtemp(prefix="policy-index-"))
        weakref.finalize(self, shutil.rmtree, tmp, ignore_errors=True)
        shutil.copytree(src, tmp / "chroma")
        log.info("the index at %s is read-only; serving a private copy in %s", src, tmp)
        self._copy = tmp / "chroma"
        return self._copy

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

    # --- versions ------------------------------------------------------------------------------
    # Every build writes a new collection "<name>.v<time>-<random>" beside the one being served and, once
    # it is complete, points "<name>.current" at it (one metadata write, atomic on the Chroma side). A
    # reader only ever opens what the pointer names, so it never sees a half-built index, and a build
    # killed midway leaves the pointer where it was. The version before the current one is kept, so a
    # process still answering from it keeps working until it notices the switch (Service polls).
    @property
    def pointer_name(self) -> str:
        return f"{self.settings.chroma.collection}.current"

    def _new_version_name(self) -> str:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{int(time.time() * 1000) % 1000:03d}"
        return f"{self.settings.chroma.collection}.v{stamp}-{secrets.token_hex(3)}"

    def _versions(self, client) -> list[str]:
        """Names of every version collection, oldest first (the names sort by build time)."""
        prefix = f"{self.settings.chroma.collection}.v"
        return sorted(c.name for c in client.list_collections() if c.name.startswith(prefix))

    def current_version(self) -> str | None:
        """The version the pointer names now (cheap: one metadata read); None when nothing is built."""
        pointer = self._pointer(self.client())
        return str((pointer.metadata or {}).get("version") or "") or None if pointer is not None else None

    def _open_current(self, client):
        name = self.current_version()
        if name is None:
            return None, None
        try:
            return name, client.get_collection(name, embedding_function=self._ef)
        except Exception:
            log.warning("the index pointer names %s, which does not exist; building a new version", name)
            return None, None

    def _pointer(self, client):
        try:
            return client.get_collection(self.pointer_name, embedding_function=self._ef)
        except Exception:
            return None

    def _switch(self, client, name: str) -> list[str]:
        """Point the index at `name`; returns the versions served so far, the new one last."""
        pointer = self._pointer(client)
        meta = (pointer.metadata or {}) if pointer is not None else {}
        try:
            served = [v for v in json.loads(str(meta.get("served", "[]"))) if isinstance(v, str)]
        except json.JSONDecodeError:
            served = []
        served = [*served, name][-(self.settings.chroma.keep_versions + 1) :]
        meta = {
            "version": name,
            "served": json.dumps(served),
            "switched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if pointer is not None:
            pointer.modify(metadata=meta)
        else:
            client.create_collection(self.pointer_name, embedding_function=self._ef, metadata=meta)
        return served

    def _prune(self, client, current: str, served: list[str]) -> None:
        """Drop versions older than the current one, except the last `keep_versions` served before it
        (a build killed midway leaves a version that was never served: it goes too). Versions newer than
        the current one are left alone: another build may still be writing them."""
        for name in self._versions(client):
            if name < current and name not in served:
                try:
                    client.delete_collection(name)
                    log.info("dropped index version %s", name)
                except Exception as exc:
                    log.warning("could not drop index version %s: %s", name, exc)
        try:  # the single collection of schema 2 and before, which no pointer names
            client.delete_collection(self.settings.chroma.collection)
        except Exception:
            pass
        if not self.settings.chroma.host:
            self._drop_orphan_segments()

    def _drop_orphan_segments(self) -> None:
        """Remove segment folders of the local store that no collection owns any more (Chroma leaves
        them behind when a collection is deleted). A folder is a segment's id; the ids in use are in
        chroma.sqlite3's `segments` table, registered before their folder is made."""
        import shutil
        import sqlite3
        import uuid

        root = self.settings.index_dir / "chroma"
        try:
            with sqlite3.connect(f"file:{root / 'chroma.sqlite3'}?mode=ro", uri=True) as db:
                used = {row[0] for row in db.execute("SELECT id FROM segments")}
        except sqlite3.Error as exc:
            log.warning("could not read the segments of %s: %s", root, exc)
            return
        for d in root.iterdir():
            try:
                uuid.UUID(d.name)
            except ValueError:
                continue
            if d.is_dir() and d.name not in used:
                shutil.rmtree(d, ignore_errors=True)
                log.info("removed orphaned segment folder %s", d.name)

    # --- open / build ------------------------------------------------------------------------
    def open(self, notices: list[Notice], corpus_sha256: str, rebuild: bool = False, build: bool = True) -> IndexChange:
        """Open the index version the pointer names. With build=True (the default), first write a new
        version when there is none, it is of another schema or embedder, rebuild is asked, or notices were
        added, changed or removed (found by a hash of each notice's documents; unchanged notices are copied
        over with their vectors, not embedded again). build=False only follows the pointer (a replica, or a
        process reloading after another one rebuilt). A damaged local store (garbage pages in
        chroma.sqlite3 …) is moved aside with one log line and built again."""
        if self.read_only and (build or rebuild):
            log.warning("the index at %s is read-only: serving it as built, not building", self.settings.index_dir)
            build = False
        try:
            change = self._open(notices, corpus_sha256, rebuild, build)
            self._check()
            return change
        except BuildError:
            raise  # the new version could not be written: nothing says the served one is damaged
        except Exception as exc:
            if self.settings.chroma.host or not build:
                raise  # a server's store is the server's to repair; a follower does not build
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
        if self.collection is None:
            raise RuntimeError("no index has been built yet: run `policy-assistant index`")
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

    def _use(self, name: str, collection) -> None:
        self.version, self.collection = name, collection
        self._vector_cache.clear()
        self._count = None
        self._matrix = None

    def _open(
        self, notices: list[Notice], corpus_sha256: str, rebuild: bool = False, build: bool = True
    ) -> IndexChange:
        want = self.manifest(corpus_sha256)
        docs_want = {n.doc_id: notice_hash(n) for n in notices}
        if not build:
            client = self.client()
            name, current = self._open_current(client)
            if current is not None:
                self._use(name, current)
                have = str((current.metadata or {}).get("corpus_sha256", ""))
                if have != corpus_sha256:
                    log.warning("index version %s was built from another corpus than the one read here", name)
            return IndexChange()
        with self._lock():
            client = self.client()
            name, current = (None, None) if rebuild else self._open_current(client)
            meta = (current.metadata or {}) if current is not None else {}
            same_kind = current is not None and all(meta.get(k) == want[k] for k in ("schema", "embedder"))
            if not same_kind or current.count() == 0:
                reason = "asked" if rebuild else ("missing" if current is None else "schema or embedder changed")
                log.info("building the index (%s)", reason)
                change, carry = IndexChange(built=True, added=sorted(docs_want)), None
            else:
                try:
                    docs_have = json.loads(str(meta.get("docs", "{}")))
                except json.JSONDecodeError:
                    docs_have = {}
                change = IndexChange(
                    added=sorted(set(docs_want) - set(docs_have)),
                    removed=sorted(set(docs_have) - set(docs_want)),
                    changed=sorted(k for k in docs_want if k in docs_have and docs_have[k] != docs_want[k]),
                )
                carry = current
                if not change.any:
                    self._use(name, current)
                    return change
            self._build(client, notices, {**want, "docs": json.dumps(docs_want)}, carry, change)
            if not change.built:
                log.info("index updated: %s", change.describe())
            return change

    def _add(self, collection, notices: list[Notice], carry=None) -> int:
        """Add the notices' documents; the vectors of texts already in `carry` (the previous version) are
        copied from it, the rest embedded."""
        ids, docs, metas = _documents(notices)
        # Embed each distinct text once (notices repeat sentences; a clause of one sentence repeats it).
        unique = list(dict.fromkeys(docs))
        vectors_by_text: dict[str, Any] = self._carried_vectors(carry, set(unique)) if carry is not None else {}
        todo = [d for d in unique if d not in vectors_by_text]
        for i in range(0, len(todo), BATCH):
            chunk = todo[i : i + BATCH]
            vectors = self.embeddings.embed_documents(chunk)
            vectors_by_text.update(zip(chunk, (np.asarray(v, dtype="float32") for v in vectors), strict=True))
        for i in range(0, len(ids), BATCH):
            collection.add(
                ids=ids[i : i + BATCH],
                documents=docs[i : i + BATCH],
                metadatas=metas[i : i + BATCH],
                embeddings=[vectors_by_text[d] for d in docs[i : i + BATCH]],
            )
        return len(ids)

    @staticmethod
    def _carried_vectors(collection, wanted: set[str]) -> dict[str, Any]:
        """Vectors of the wanted texts stored in a collection (same embedder), read page by page."""
        out: dict[str, Any] = {}
        total = collection.count()
        for offset in range(0, total, BATCH):
            page = collection.get(include=["documents", "embeddings"], limit=BATCH, offset=offset)
            for doc, vec in zip(page["documents"], page["embeddings"], strict=True):
                if doc in wanted:
                    out[doc] = np.asarray(vec, dtype="float32")
        return out

    def _build(
        self, client, notices: list[Notice], manifest: dict, carry=None, change: IndexChange | None = None
    ) -> None:
        """Write a complete new version, then point the pointer at it and prune old versions."""
        t0 = time.perf_counter()
        name = self._new_version_name()
        try:
            collection = client.create_collection(
                name, embedding_function=self._ef, metadata={**manifest, "hnsw:space": "cosine"}
            )
            n_docs = self._add(collection, notices, carry)
        except Exception as exc:
            raise BuildError(f"could not write index version {name}: {type(exc).__name__}: {exc}") from exc
        if collection.count() != n_docs:
            raise BuildError(f"index version {name} holds {collection.count()} documents, expected {n_docs}")
        served = self._switch(client, name)
        self._use(name, collection)
        self.build_seconds = time.perf_counter() - t0
        self._write_manifest(manifest, n_docs, len(notices))
        self._prune(client, name, served)

    def _write_manifest(self, manifest: dict, documents: int, notices: int) -> None:
        """index/manifest.json: what the local store holds (for people; the collection metadata decides)."""
        if self.settings.chroma.host:
            return
        info = {
            **{k: v for k, v in manifest.items() if k != "docs"},
            "collection": self.settings.chroma.collection,
            "version": self.version,
            "documents": documents,
            "notices": notices,
            "build_seconds": round(self.build_seconds or 0.0, 3),
        }
        (self.settings.index_dir / "manifest.json").write_text(json.dumps(info, indent=2) + "\n")

    # --- queries -----------------------------------------------------------------------------
    def dense(self, vector: list[float], n: int) -> list[DenseHit]:
        """Nearest clause and sentence documents to a query vector (cosine similarity, best first).

        A version of up to `retrieval.exact_max` documents is searched exactly, in memory (its vectors read
        from Chroma once); a Chroma query costs milliseconds of overhead whatever the collection's size.
        Larger versions are searched through Chroma's HNSW index."""
        assert self.collection is not None, "open() the store first"
        if self._count is None:
            self._count = self.collection.count()
        n = min(n, self._count)
        exact = self._exact()
        if exact is not None:
            matrix, ids = exact
            q = np.asarray(vector, dtype="float32")
            sims = matrix @ (q / (np.linalg.norm(q) or 1.0))
            top = np.argpartition(-sims, n - 1)[:n] if n < len(ids) else np.arange(len(ids))
            top = top[np.argsort(-sims[top], kind="stable")]
            return [_hit(ids[i], float(sims[i])) for i in top]
        res = self.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [_hit(id_, 1.0 - float(d)) for id_, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def _exact(self) -> tuple[Any, list[str]] | None:
        """(unit-length vectors, their ids) of the version in use when it is small enough; read once."""
        if self._matrix is None and self._count is not None and self._count <= self.settings.retrieval.exact_max:
            with self._matrix_lock:
                if self._matrix is None:
                    ids, rows = [], []
                    for offset in range(0, self._count, BATCH):
                        page = self.collection.get(include=["embeddings"], limit=BATCH, offset=offset)
                        ids += page["ids"]
                        rows.append(np.asarray(page["embeddings"], dtype="float32"))
                    matrix = np.vstack(rows) if rows else np.zeros((0, 1), dtype="float32")
                    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                    self._matrix = (matrix / np.where(norms > 0, norms, 1.0), ids)
        return self._matrix

    def vectors(self, ids: list[str]) -> dict[str, Any]:
        """Stored vectors by id (cached: the collection does not change while it is open)."""
        assert self.collection is not None, "open() the store first"
        missing = [i for i in ids if i not in self._vector_cache]
        if missing:
            res = self.collection.get(ids=missing, include=["embeddings"])
            self._vector_cache.update(zip(res["ids"], res["embeddings"], strict=True))
        return {i: self._vector_cache[i] for i in ids if i in self._vector_cache}
