"""evals.datasets: question sets, answers files (malformed lines reported, not fatal) and multi-turn requests."""

from __future__ import annotations

import json

import pytest

from evals.datasets import SetError, load_items, read_answers, requests
from evals.scoring import score

from .eval_data import FACT, GOOD, META, OOS, REAL_SET, REVERSE, answer, write_set
from .helpers import ROOT


def test_the_shipped_sets_load_with_every_kind():
    items = load_items(ROOT / "evals" / "questions.jsonl")
    assert len(items) >= 80 and {"fact", "lookup", "units", "reverse", "meta", "followup", "oos"} <= {
        i.kind for i in items
    }
    assert load_items(ROOT / "evals" / "heldout.jsonl")


def test_a_set_loads_its_fields_and_rejects_bad_lines(tmp_path):
    items = load_items(write_set(tmp_path))
    assert [i.id for i in items] == ["a", "b", "c"]
    assert items[1].history_questions == ["工业用地成本这块有什么优惠？"] and items[1].clauses == [3]
    assert items[2].refused and items[0].facts == ["20%"] and items[0].lang == "zh"
    with pytest.raises(SetError, match=r"set.jsonl:2: duplicate id 'a'"):
        load_items(write_set(tmp_path, [REAL_SET[0], REAL_SET[0]]))
    with pytest.raises(SetError, match=r"set.jsonl:1: not a question-set line \(KeyError"):
        load_items(write_set(tmp_path, [{"id": "x", "kind": "fact", "question": "?"}]))


def test_malformed_answer_lines_are_reported_and_the_rest_scored(tmp_path):
    lines = [
        json.dumps({"id": "f1", **answer(GOOD, [1])}, ensure_ascii=False),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"answer": "no id", "refused": False, "citations": []}),
        json.dumps({"id": "o1", "error": "the question is empty"}),
        json.dumps({"id": "m1", "answer": "x", "refused": "no", "citations": []}),
        json.dumps({"id": "r1", "answer": "x", "refused": False, "citations": [{"clause": "three"}]}),
        json.dumps({"id": "f1", **answer("second", [2])}),
        "",
    ]
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = read_answers(path)
    assert got.lines == 8 and list(got.rows) == ["f1"] and len(got.problems) == 7
    assert any("not valid JSON" in p for p in got.problems) and any("duplicate" in p for p in got.problems)
    pairs, missing = got.for_items([FACT, OOS, REVERSE, META])
    assert missing == ["o1", "r1", "m1"]
    assert pairs[0][1]["answer"] == GOOD  # the first answer for a duplicated id is scored
    rows = [score(i, out) for i, out in pairs]
    assert [r["correct"] for r in rows] == [True, False, False, False]
    assert [r["missing"] for r in rows] == [False, True, True, True]
    with path.open(encoding="utf-8") as fh:  # an open file reads the same
        assert read_answers(fh).rows == got.rows


def test_requests_ask_one_turn_per_round_with_real_answers_as_history(tmp_path):
    item = load_items(write_set(tmp_path, REAL_SET[1:2]))[0]
    first = requests([item, FACT])
    assert first == [
        {"id": "b@1", "question": "工业用地成本这块有什么优惠？", "history": []},
        {"id": "f1", "question": FACT.question, "history": []},
    ]
    second = requests([item, FACT], {"b@1": {"answer": "A1"}, "f1": {"answer": "x"}})
    assert second == [
        {
            "id": "b",
            "question": "这条找哪个部门？",
            "history": [
                {"role": "user", "content": "工业用地成本这块有什么优惠？"},
                {"role": "assistant", "content": "A1"},
            ],
        }
    ]
    assert requests([item], {"b@1": {"answer": "A1"}, "b": {"answer": "A2"}}) == []
