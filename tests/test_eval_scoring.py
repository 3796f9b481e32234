"""evals.scoring: the scorer's verdicts on hand-made answers, the metric math, the summary and the bar."""

from __future__ import annotations

from datetime import date

import pytest

from assistant import Kind, parse_notice
from evals.grounding import Corpus
from evals.scoring import (
    KINDS,
    context_precision,
    context_recall,
    first_relevant_rank,
    meets_bar,
    percentile,
    ranked_clauses,
    ratio,
    score,
    summarise,
)

from .eval_data import DOC, FACT, GOOD, META, NOTICE, OOS, REVERSE, answer


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus([parse_notice(NOTICE, "digital")], today=date(2026, 6, 30))


# --- the scorer on hand-made answers ------------------------------------------------------------
def test_a_correct_answer_is_fully_correct(corpus):
    r = score(FACT, answer(GOOD, [1]), corpus)
    assert r["correct"] and r["top_ok"] and r["facts_ok"] and r["no_fabrication"] and r["refusal_ok"]
    assert r["hit1"] and r["rr"] == 1.0 and r["grounding"] == 1.0
    assert r["timings_ms"] == {"total": 5.0} and r["latency_ms"] == 5.0  # latency_ms stands in for a total


def test_a_wrong_top_clause_is_not_correct_but_still_a_hit_at_3(corpus):
    r = score(FACT, answer(GOOD, [2, 1]), corpus)
    assert not r["correct"] and not r["top_ok"]
    assert not r["hit1"] and r["hit3"] and r["rr"] == 0.5
    assert r["context_precision"] == 0.5 and r["context_recall"] == 1.0


def test_a_missing_fact_is_not_correct(corpus):
    r = score(
        FACT, answer("根据第一条「加强算力保障」：\n> 对年度用电量超过 1000 万千瓦时的企业给予电价优惠。", [1]), corpus
    )
    assert r["top_ok"] and not r["facts_ok"] and not r["correct"]


def test_a_fabricated_figure_fails_must_not_and_grounding(corpus):
    text = GOOD + "\n另外每家企业还能拿到800万元奖励。"
    r = score(FACT, answer(text, [1]), corpus)
    assert not r["no_fabrication"] and r["fabricated"] == ["800万元"] and not r["correct"]
    assert r["grounding"] < 1.0 and any("800" in s for s in r["ungrounded"])


def test_a_false_refusal_and_a_right_refusal(corpus):
    r = score(FACT, answer("抱歉，通知没有涉及这个问题。", refused=True), corpus)
    assert not r["refusal_ok"] and not r["correct"] and r["grounding"] is None
    r = score(OOS, answer("抱歉，通知没有涉及这个问题。", refused=True), corpus)
    assert r["correct"] and r["refused"]
    r = score(OOS, answer(GOOD, [1]), corpus)  # a system that answers everything
    assert not r["correct"] and not r["refusal_ok"]


def test_reverse_needs_the_whole_set_and_document_facts_no_clause_first(corpus):
    assert score(REVERSE, answer("x", [1, 2]), corpus)["top_ok"]
    assert not score(REVERSE, answer("x", [1]), corpus)["top_ok"]
    assert score(META, answer(f"文号：{DOC}。", [None]), corpus)["correct"]
    assert not score(META, answer(f"文号：{DOC}。", [1]), corpus)["top_ok"]


# --- metric math --------------------------------------------------------------------------------
def test_id_based_context_precision_and_recall_follow_ragas():
    assert context_precision([1, 2, 3], [1, 2]) == pytest.approx(2 / 3)
    assert context_recall([1, 2, 3], [1, 2, 4]) == pytest.approx(2 / 3)
    assert context_precision([1, 1, 5], [1]) == 0.5  # sets: {1, 5}
    assert context_precision([], [1]) is None  # RAGAS: undefined with nothing retrieved
    assert context_recall([1], []) is None  # undefined without a reference
    assert context_recall([], [1, 2]) == 0.0


def test_cited_clauses_are_ranked_distinct_and_skip_document_citations():
    cits = [{"clause": "2"}, {"clause": None}, {"clause": 1}, {"clause": 2}, {"clause": True}, {"clause": "x"}]
    assert ranked_clauses(cits) == [2, 1]


def test_ranks_percentiles_and_summary_rates():
    assert first_relevant_rank([4, 3, 1], [1, 3]) == 2
    assert first_relevant_rank([4], [1]) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0] * 19 + [100.0], 95) == pytest.approx(14.5)
    assert percentile([], 50) is None

    rows = [
        score(FACT, answer(GOOD, [1])),
        score(FACT, answer(GOOD, [3, 2, 1])),
        score(FACT, answer("抱歉", refused=True)),
        score(OOS, answer("抱歉", refused=True)),
        score(OOS, answer(GOOD, [1])),
    ]
    o = summarise(rows)["overall"]
    assert o["hit@1"] == pytest.approx(1 / 3) and o["hit@3"] == pytest.approx(2 / 3)
    assert o["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert o["refusal_precision"] == 0.5 and o["refusal_recall"] == 0.5
    assert o["false_refusals"] == 1 and o["correct"] == pytest.approx(2 / 5)
    assert o["total_p50_ms"] == 5.0 and o["counts"]["oos"] == 2
    ok, problems = meets_bar(summarise(rows))
    assert not ok and len(problems) == 3
    assert meets_bar(summarise(rows[:1] + rows[3:4])) == (True, [])


def test_kinds_are_reported_in_the_harness_order_then_the_others_sorted():
    assert KINDS == ["fact", "lookup", "units", "reverse", "meta", "followup", "oos"]
    assert set(KINDS) <= {str(k) for k in Kind}
    kinds = ["oos", "multi", "fact", "clarify", "followup", "meta"]
    rows = [score(FACT, answer(GOOD, [1])) | {"kind": k} for k in kinds]
    assert list(summarise(rows)["by_kind"]) == ["fact", "meta", "followup", "oos", "clarify", "multi"]


def test_ratio_is_none_without_both_values():
    assert ratio(1.0, 0.5) == 2.0
    assert ratio(None, 1.0) is None and ratio(1.0, None) is None and ratio(1.0, 0) is None
