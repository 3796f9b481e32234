"""`policy-assistant bench` (evals.bench): synthetic corpora that the parser reads, and one corpus measured
the way the benchmark does it (a build worker process, then warm answers) on temp folders."""

from __future__ import annotations

import pytest

from assistant import load_notices, parse_notice
from evals.bench import (
    BenchOptions,
    add_notice,
    measure_add_one,
    measure_corpus,
    run_worker,
    synthesize,
    table,
    write_corpus,
)

from .eval_data import write_set
from .helpers import SEED


def test_synthetic_notices_parse_with_their_own_numbers_dates_and_clauses(tmp_path):
    raw = SEED.read_text(encoding="utf-8")
    real = parse_notice(raw, SEED.stem)
    files = synthesize(raw, 12, seed=1, doc_id=SEED.stem)
    assert len(files) == 12 and files[0] == (f"{SEED.stem}.txt", raw)
    notices = load_notices(write_corpus(files, tmp_path / "corpus"))
    assert notices[0].doc_number == real.doc_number  # the real notice sorts first
    assert len({n.doc_number for n in notices}) == 12
    variants = notices[1:]
    for n in variants:
        assert n.issued and n.valid_until and n.valid_until > n.issued and n.issued != real.issued
        assert 6 <= len(n.clauses) <= len(real.clauses)
        assert [c.number for c in n.clauses] == list(range(1, len(n.clauses) + 1))
        assert all(c.units for c in n.clauses)
        assert {c.title for c in n.clauses} <= {c.title for c in real.clauses}
    real_text = {c.title: c.body for c in real.clauses}
    changed = sum(c.body != real_text[c.title] for n in variants for c in n.clauses)
    reordered = sum([c.title for c in n.clauses] != [c.title for c in real.clauses][: len(n.clauses)] for n in variants)
    assert changed > 0 and reordered > 0


def test_the_same_seed_gives_the_same_corpus():
    raw = SEED.read_text(encoding="utf-8")
    assert synthesize(raw, 5, seed=3) == synthesize(raw, 5, seed=3)
    assert synthesize(raw, 5, seed=3) != synthesize(raw, 5, seed=4)


@pytest.mark.slow  # worker processes
def test_a_corpus_is_built_by_a_worker_process_and_timed_warm(tmp_path):
    corpus = write_corpus(synthesize(SEED.read_text(encoding="utf-8"), 3, doc_id=SEED.stem), tmp_path / "corpus")
    index = tmp_path / "index"
    built = run_worker({"mode": "build", "corpus_dir": str(corpus), "index_dir": str(index)}, timeout=300)
    assert built["notices"] == 3 and built["documents"] > built["clauses"] > 0 and built["build_seconds"] > 0
    got = measure_corpus(corpus, index, write_set(tmp_path), repeats=1, profile=False)
    assert got["asks_timed"] == 4  # three questions, one with a first turn
    assert set(got["stages"]) == {"route", "retrieve", "answer", "total"} and got["stages"]["total"]["p50_ms"] > 0
    assert set(got["components"]) == {"embed", "bm25", "chroma_dense", "fusion_rank"}
    assert got["profile_top"] == [] and len(got["slowest"]) == 2  # the single-turn questions
    result = {
        "cpus": 2,
        "embed_threads": "core default",
        "loadavg_start": (0, 0, 0),
        "loadavg_end": (0, 0, 0),
        "real": {**built, **got},
        "scaling": [],
        "checks": {},
    }
    assert table(result).startswith("real notice: index build ")
    assert BenchOptions(sizes=[10]).cold


@pytest.mark.slow  # worker processes
def test_adding_one_notice_to_a_built_corpus_reindexes_just_that_notice(tmp_path):
    raw = SEED.read_text(encoding="utf-8")
    corpus = write_corpus(synthesize(raw, 3, doc_id=SEED.stem), tmp_path / "corpus")
    index = tmp_path / "index"
    run_worker({"mode": "build", "corpus_dir": str(corpus), "index_dir": str(index)}, timeout=300)
    got = measure_add_one(corpus, index, lambda: add_notice(raw, corpus, 3, doc_id=SEED.stem))
    assert got["unchanged_ok"] and got["unchanged_open_s"] > 0
    assert got["add_one_doc_id"] == f"{SEED.stem}.v3" and got["add_one_ok"]
    assert got["add_one_change"]["added"] == [got["add_one_doc_id"]]  # exactly one notice added
    assert got["add_one_documents"] > 0 and got["add_one_s"] > 0 and got["add_one_reindex_s"] > 0
    assert len(list(corpus.glob("*.txt"))) == 4
    assert synthesize(raw, 4, doc_id=SEED.stem)[:3] == synthesize(raw, 3, doc_id=SEED.stem)  # the 3 it extends


@pytest.mark.slow
def test_the_api_benchmark_runs_every_path_and_writes_its_reports(tmp_path):
    from evals import bench_api

    result = bench_api.run(
        tmp_path, seconds=1, clients=(2,), scales=(3,), load_questions=3, scale_questions=3, repeats=1
    )
    rows = {r["path"]: r for r in result["load"]["rows"]}
    assert set(rows) == {"ask", "chat", "gradio"}
    assert all(r["answers"] > 0 and r["errors"] == 0 for r in rows.values())
    (scale,) = result["scale"]["rows"]
    assert scale["notices"] == 3 and scale["build_seconds"] > 0 and scale["p95_ms"] > 0
    for name in ("bench_api.json", "bench_api.md", "bench_api.png"):
        assert (tmp_path / name).stat().st_size > 0
