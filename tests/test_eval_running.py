"""evals.running: asking a system (in-process or over `ask --jsonl`), evaluate and the whole report."""

from __future__ import annotations

import sys

import pytest

from evals.datasets import Item, load_items
from evals.grounding import Corpus
from evals.reports import markdown
from evals.running import assistant_answer_fn, drive, eval_report, evaluate, run
from evals.scoring import score

from .eval_data import FACT, write_set

FAKE_SYSTEM = r"""
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    turns = len(req["history"]) // 2
    text = "第一条 … 500 万元" if req["id"] == "f1" else f"turn {turns + 1}: {req['history'][-1]['content'] if turns else ''}"
    print(json.dumps({"id": req["id"], "answer": text, "refused": False,
                      "citations": [{"clause": 1, "doc_number": "x"}]}, ensure_ascii=False))
"""


def test_drive_asks_any_contract_speaking_command_round_by_round(tmp_path):
    script = tmp_path / "fake_system.py"
    script.write_text(FAKE_SYSTEM, encoding="utf-8")
    item = Item(
        id="fu",
        kind="followup",
        lang="zh",
        question="这条找谁？",
        clauses=[1],
        facts=["turn 2: turn 1"],
        refused=False,
        history_questions=["算力有什么支持？"],
    )
    got = drive([FACT, item], [sys.executable, str(script)])
    assert got.problems == [] and sorted(got.rows) == ["f1", "fu", "fu@1"]
    assert got.rows["fu"]["answer"] == "turn 2: turn 1: "  # its own first answer came back as history
    pairs, missing = got.for_items([FACT, item])
    assert missing == [] and all(score(i, out)["correct"] for i, out in pairs)
    broken = drive([FACT], [sys.executable, "-c", "print('not json')"])
    assert "f1" not in broken.rows and any("no usable answer" in p for p in broken.problems)
    failing = drive([FACT], [sys.executable, "-c", "import sys; sys.exit('boom')"])
    assert any("exited 1: boom" in p for p in failing.problems)


def test_run_asks_history_questions_first_with_the_real_answers():
    seen = []

    def system(question, history):
        seen.append((question, [t["content"] for t in history]))
        return {"answer": f"A:{question}", "refused": False, "citations": []}

    item = Item(
        id="x",
        kind="followup",
        lang="zh",
        question="q3",
        clauses=[],
        facts=[],
        refused=False,
        history_questions=["q1", "q2"],
    )
    [(got_item, out)] = run([item], system)
    assert got_item is item and out["answer"] == "A:q3"
    assert seen == [("q1", []), ("q2", ["q1", "A:q1"]), ("q3", ["q1", "A:q1", "q2", "A:q2"])]


def test_the_assistant_answers_in_the_contract_with_its_stage_timings(assistant):
    out = assistant_answer_fn(assistant)("工业用地占比有没有最低要求？", [])
    assert set(out) == {"answer", "refused", "citations", "mode", "latency_ms", "timings_ms"}
    assert out["citations"][0]["clause"] == 1 and out["mode"] == "extractive" and not out["refused"]
    assert {"route", "retrieve", "answer", "total"} <= set(out["timings_ms"])
    assert out["latency_ms"] == out["timings_ms"]["total"]


def test_evaluate_the_assistant_on_a_small_set(assistant, tmp_path):
    items = load_items(write_set(tmp_path))
    rows, summary = evaluate(items, assistant_answer_fn(assistant), Corpus(assistant.notices, assistant.today()))
    assert [r["id"] for r in rows] == ["a", "b", "c"] and all(r["correct"] for r in rows), summary["failures"]
    assert summary["overall"]["grounding"] == 1.0 and list(summary["by_kind"]) == ["fact", "followup", "oos"]


def test_the_report_with_baselines(settings, assistant, tmp_path):
    set_path = write_set(tmp_path)
    warnings = []
    report = eval_report(settings, load_items(set_path), set_path, compare=True, warn=warnings.append)
    assert report["system"] == "assistant" and report["bar"] == {"met": True, "problems": []}
    assert report["embedder"] == assistant.store.model_id and report["today"] == "2026-11-30"
    assert [a["id"] for a in report["answers"]] == ["a", "b", "c"] and report["set"]["items"] == 3
    comp = report["compare"]
    assert list(comp["systems"]) == ["assistant", "bm25", "dense", "textbook-rag"] and comp["unavailable"] == {}
    assert set(comp["ratios"]) == {"bm25", "dense", "textbook-rag"}
    for name, ratios in comp["ratios"].items():
        base = comp["systems"][name]["summary"]["overall"]
        assert ratios["correct"] == (pytest.approx(1.0 / base["correct"]) if base["correct"] else None)
    assert warnings == []
    md = markdown(report)
    assert "## Compared with baselines (same run, same scorer)" in md and "| metric | assistant | bm25 |" in md
