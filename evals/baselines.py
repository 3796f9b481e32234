"""Baselines for `policy-assistant eval --compare`: the usual approaches, scored by the same scorer.

* bm25 — our BM25 index and jieba tokeniser alone: the top clause, answered with its full text.
* dense — our Chroma index and embedder alone (best clause or sentence document): the top clause's text.
* textbook-rag — the textbook LangChain pipeline: RecursiveCharacterTextSplitter(500, 50) over the raw
  notice text, a temporary Chroma collection embedded with the same embedder, top-1 chunk; the answer
  is the chunk and the cited clause is the clause the chunk falls in (most characters); a chunk of the
  header or closing text cites the document (clause null).

All three answer every question (they never refuse) and, having no notion of a conversation, search
with the previous user turn prepended to a follow-up question. They reach the product's parts through
an `Assistant` instance (its retriever, store and embedder), never by importing them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant import Assistant, Clause, Notice, clause_spans, is_chinese

from .datasets import AnswerFn

log = logging.getLogger(__name__)

CHUNK_SIZE, CHUNK_OVERLAP = 500, 50


class BaselineUnavailable(RuntimeError):
    """A baseline cannot run here (the message says what is missing)."""


@dataclass
class Baseline:
    name: str
    description: str
    answer: AnswerFn
    close: Callable[[], None] = lambda: None


def search_text(question: str, history: list[dict]) -> str:
    prev = next((t.get("content", "") for t in reversed(history or []) if t.get("role") == "user"), "")
    return f"{prev} {question}".strip()


def _timed(fn: Callable[[str, list[dict]], dict]) -> AnswerFn:
    def answer(question: str, history: list[dict]) -> dict:
        t0 = time.perf_counter()
        out = fn(question, history)
        ms = (time.perf_counter() - t0) * 1000
        return {**out, "latency_ms": round(ms, 3), "timings_ms": {"total": ms}}

    return answer


def clause_answer(n: Notice, c: Clause | None) -> dict:
    if c is None:
        return {"answer": "", "refused": False, "citations": []}
    cite = {"clause": c.number, "title": c.title, "doc_number": n.doc_number, "quote": c.text, "units": list(c.units)}
    return {"answer": c.text, "refused": False, "citations": [cite]}


def _clause_answer_of(assistant: Assistant, doc_id: str, number: int) -> dict:
    n = assistant.notice(doc_id)
    return clause_answer(n, n.clause(number))


def bm25_only(assistant: Assistant) -> Baseline:
    r = assistant.retriever

    def answer(question: str, history: list[dict]) -> dict:
        text = search_text(question, history)
        scores = r.bm25_scores(text, "zh" if is_chinese(text) else "en")
        if not len(scores) or float(scores.max()) <= 0:  # no token of the question is in the index
            return clause_answer(assistant.notices[0], None)
        doc_id, number = r.index.keys[int(scores.argmax())]
        return _clause_answer_of(assistant, doc_id, number)

    return Baseline("bm25", "BM25 over our jieba tokens alone; answer = top clause text", _timed(answer))


def dense_only(assistant: Assistant) -> Baseline:
    r = assistant.retriever

    def answer(question: str, history: list[dict]) -> dict:
        sims = r.dense_similarities(r.embed(search_text(question, history)))
        if not sims:
            return clause_answer(assistant.notices[0], None)
        doc_id, number = max(sorted(sims), key=lambda k: sims[k])  # the first in document order on a tie
        return _clause_answer_of(assistant, doc_id, number)

    return Baseline("dense", "dense search in our Chroma index alone; answer = top clause text", _timed(answer))


# --- textbook RAG -------------------------------------------------------------------------------
def clause_at(spans: list[tuple[int, int, int | None]], start: int, length: int) -> int | None:
    """The clause a chunk falls in: the span holding most of its characters (the earlier one on a tie)."""
    best, best_overlap = None, -1
    for s, e, number in spans:
        overlap = min(e, start + length) - max(s, start)
        if overlap > best_overlap:
            best, best_overlap = number, overlap
    return best


def textbook_rag(assistant: Assistant) -> Baseline:
    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError as exc:
        raise BaselineUnavailable(
            "langchain-text-splitters is not installed (pip install langchain-text-splitters)"
        ) from exc
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import NotFoundError

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    by_id = {n.doc_id: n for n in assistant.notices}
    ids, texts, metas = [], [], []
    for path in sorted(Path(assistant.settings.corpus_dir).glob("*.txt")):
        n = by_id.get(path.stem)
        if n is None:
            continue
        raw = path.read_text(encoding="utf-8")
        spans = clause_spans(raw, n)
        for i, doc in enumerate(splitter.create_documents([raw], metadatas=[{"doc_id": n.doc_id}])):
            number = clause_at(spans, doc.metadata["start_index"], len(doc.page_content))
            ids.append(f"{n.doc_id}:{i}")
            texts.append(doc.page_content)
            metas.append(
                {
                    "doc_id": n.doc_id,
                    "clause": -1 if number is None else number,
                    "start_index": doc.metadata["start_index"],
                }
            )
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    name = f"textbook_rag_{uuid.uuid4().hex[:8]}"
    ef = assistant.store.embedding_function
    collection = client.create_collection(name, embedding_function=ef, metadata={"hnsw:space": "cosine"})
    collection.add(ids=ids, documents=texts, metadatas=metas)
    log.info("textbook RAG: %d chunks of %d characters (overlap %d)", len(ids), CHUNK_SIZE, CHUNK_OVERLAP)

    def answer(question: str, history: list[dict]) -> dict:
        res = collection.query(
            query_texts=[search_text(question, history)], n_results=1, include=["documents", "metadatas"]
        )
        if not res["ids"][0]:
            return {"answer": "", "refused": False, "citations": []}
        chunk, meta = res["documents"][0][0], res["metadatas"][0][0]
        n = by_id[str(meta["doc_id"])]
        number = int(meta["clause"])
        c = n.clause(number) if number >= 0 else None
        cite = {
            "clause": c.number if c else None,
            "title": c.title if c else n.title,
            "doc_number": n.doc_number,
            "quote": chunk,
            "units": list(c.units) if c else [],
        }
        return {"answer": chunk, "refused": False, "citations": [cite]}

    def close() -> None:
        try:
            client.delete_collection(name)
        except (NotFoundError, ValueError) as exc:  # in memory only: nothing is left behind either way
            log.debug("textbook RAG collection already gone: %s", exc)

    return Baseline(
        "textbook-rag",
        f"RecursiveCharacterTextSplitter({CHUNK_SIZE}/{CHUNK_OVERLAP}) + temporary Chroma "
        f"({len(ids)} chunks) + same embedder; answer = top chunk",
        _timed(answer),
        close,
    )


FACTORIES = {"bm25": bm25_only, "dense": dense_only, "textbook-rag": textbook_rag}


def make_baselines(assistant: Assistant, names: list[str] | None = None) -> tuple[list[Baseline], dict[str, str]]:
    """(the baselines that could be built, {name: why not} for those that could not)."""
    built, missing = [], {}
    for name in names or list(FACTORIES):
        try:
            built.append(FACTORIES[name](assistant))
        except BaselineUnavailable as exc:
            missing[name] = str(exc)
    return built, missing
