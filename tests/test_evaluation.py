"""The evaluation suite: scorer verdicts, metric math, grounding, answers files, the eval CLI, reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from assistant.baselines import clause_at, clause_spans, search_text
from assistant.corpus import parse_notice
from assistant.evaluation import (
    Corpus,
    Item,
    answer_sentences,
    context_precision,
    context_recall,
    drive,
    first_relevant_rank,
    grounding,
    load_items,
    meets_bar,
    percentile,
    read_answers,
    requests,
    score,
    summarise,
)

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "policy-assistant"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
       "ANONYMIZED_TELEMETRY": "False"}

NOTICE = """某某市人民政府办公厅文件

某政办发〔2024〕7号

某某市人民政府办公厅 关于印发某某市促进数字经济发展若干措施的通知

《某某市促进数字经济发展若干措施》已经市政府同意，现印发给你们。

某某市人民政府办公厅
2024年3月1日

某某市促进数字经济发展若干措施

为加快数字经济发展，制定如下措施。

一、加强算力保障。新建数据中心给予最高 500 万元补助。对年度用电量超过 1000 万千瓦时的企业给予电价优惠。（责任单位：市发改委、市工信局）

二、培育数据市场。支持建设数据交易平台，鼓励企业开放数据资源。（责任单位：市数据局）

本措施自发布之日起执行，由市数据局会同相关部门制定具体实施方案，有效期至2027年6月30日。
"""
DOC = "某政办发〔2024〕7号"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus([parse_notice(NOTICE, "digital")], today=date(2026, 6, 30))


def cite(clause, quote="", doc=DOC):
    return {"clause": clause, "title": "", "doc_number": doc, "quote": quote, "units": []}


def answer(text, clauses=(), refused=False):
    return {"answer": text, "refused": refused, "citations": [cite(c) for c in clauses], "latency_ms": 5.0}


FACT = Item(id="f1", kind="fact", lang="zh", question="数据中心有补助吗？", clauses=[1], facts=["500 万元"],
            refused=False, must_not=["800万元"])
OOS = Item(id="o1", kind="oos", lang="zh", question="签证怎么办？", clauses=[], facts=[], refused=True)
REVERSE = Item(id="r1", kind="reverse", lang="zh", question="市工信局负责哪些？", clauses=[1, 2], facts=[],
               refused=False)
META = Item(id="m1", kind="meta", lang="zh", question="文号是多少？", clauses=[], facts=[DOC], refused=False)
GOOD = "根据第一条「加强算力保障」：\n> 新建数据中心给予最高 500 万元补助。\n【第一条 加强算力保障】（某政办发〔2024〕7号）"


# --- the scorer on hand-made answers ------------------------------------------------------------
def test_a_correct_answer_is_fully_correct(corpus):
    r = score(FACT, answer(GOOD, [1]), corpus)
    assert r["correct"] and r["top_ok"] and r["facts_ok"] and r["no_fabrication"] and r["refusal_ok"]
    assert r["hit1"] and r["rr"] == 1.0 and r["grounding"] == 1.0


def test_a_wrong_top_clause_is_not_correct_but_still_a_hit_at_3(corpus):
    r = score(FACT, answer(GOOD, [2, 1]), corpus)
    assert not r["correct"] and not r["top_ok"]
    assert not r["hit1"] and r["hit3"] and r["rr"] == 0.5
    assert r["context_precision"] == 0.5 and r["context_recall"] == 1.0


def test_a_missing_fact_is_not_correct(corpus):
    r = score(FACT, answer("根据第一条「加强算力保障」：\n> 对年度用电量超过 1000 万千瓦时的企业给予电价优惠。", [1]), corpus)
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


def test_ranks_percentiles_and_summary_rates():
    assert first_relevant_rank([4, 3, 1], [1, 3]) == 2
    assert first_relevant_rank([4], [1]) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0] * 19 + [100.0], 95) == pytest.approx(14.5)
    assert percentile([], 50) is None

    rows = [score(FACT, answer(GOOD, [1])), score(FACT, answer(GOOD, [3, 2, 1])),
            score(FACT, answer("抱歉", refused=True)), score(OOS, answer("抱歉", refused=True)),
            score(OOS, answer(GOOD, [1]))]
    o = summarise(rows)["overall"]
    assert o["hit@1"] == pytest.approx(1 / 3) and o["hit@3"] == pytest.approx(2 / 3)
    assert o["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert o["refusal_precision"] == 0.5 and o["refusal_recall"] == 0.5
    assert o["false_refusals"] == 1 and o["correct"] == pytest.approx(2 / 5)
    ok, problems = meets_bar(summarise(rows))
    assert not ok and len(problems) == 3


# --- grounding ----------------------------------------------------------------------------------
def test_sentences_drop_quote_markers_and_list_numbers():
    assert answer_sentences("lead：\n> 甲。乙！\n\n2. 【第二条 培育数据市场】") == ["lead：", "甲。", "乙！", "【第二条 培育数据市场】"]


def test_grounding_definition(corpus):
    frame = f"根据《某某市促进数字经济发展若干措施》（{DOC}）第一条「加强算力保障」："
    quote = "> 新建数据中心给予最高500万元补助。"  # whitespace differences do not matter
    units = "责任单位：市发改委、市工信局"
    assert grounding(f"{frame}\n{quote}\n{units}", [cite(1)], corpus) == (1.0, [])
    # a quote from the other clause, cited as clause 1, is misattributed
    share, bad = grounding("> 支持建设数据交易平台，鼓励企业开放数据资源。", [cite(1)], corpus)
    assert share == 0.0 and bad
    # a figure the cited clause does not state, or a title it does not have
    assert grounding("每家补助 800 万元。", [cite(1)], corpus)[0] == 0.0
    assert grounding("第一条「培育数据市场」：", [cite(1)], corpus)[0] == 0.0
    # nothing cited: no quote can be traced
    assert grounding(quote, [], corpus)[0] == 0.0
    # a document-level citation: dates of the notice and ones derived from the run's date
    assert grounding("有效期至2027年6月30日，截至今天（2026年6月30日）还有365天到期。", [cite(None)], corpus)[0] == 1.0


# --- answers files and multi-turn requests ------------------------------------------------------
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


def test_requests_ask_one_turn_per_round_with_real_answers_as_history():
    item = Item(id="fu", kind="followup", lang="zh", question="这条找谁？", clauses=[1], facts=[], refused=False,
                history_questions=["算力有什么支持？"])
    first = requests([item, FACT])
    assert first == [{"id": "fu@1", "question": "算力有什么支持？", "history": []},
                     {"id": "f1", "question": FACT.question, "history": []}]
    second = requests([item, FACT], {"fu@1": {"answer": "A1"}, "f1": {"answer": "x"}})
    assert second == [{"id": "fu", "question": "这条找谁？", "history": [
        {"role": "user", "content": "算力有什么支持？"}, {"role": "assistant", "content": "A1"}]}]
    assert requests([item], {"fu@1": {"answer": "A1"}, "fu": {"answer": "A2"}}) == []


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
    item = Item(id="fu", kind="followup", lang="zh", question="这条找谁？", clauses=[1], facts=["turn 2: turn 1"],
                refused=False, history_questions=["算力有什么支持？"])
    got = drive([FACT, item], [sys.executable, str(script)])
    assert got.problems == [] and sorted(got.rows) == ["f1", "fu", "fu@1"]
    assert got.rows["fu"]["answer"] == "turn 2: turn 1: "  # its own first answer came back as history
    pairs, missing = got.for_items([FACT, item])
    assert missing == [] and all(score(i, out)["correct"] for i, out in pairs)
    broken = drive([FACT], [sys.executable, "-c", "print('not json')"])
    assert "f1" not in broken.rows and any("no usable answer" in p for p in broken.problems)


def test_the_shipped_set_loads_with_every_kind():
    items = load_items(ROOT / "evals" / "questions.jsonl")
    assert len(items) >= 80 and {"fact", "lookup", "units", "reverse", "meta", "followup", "oos"} <= {
        i.kind for i in items}


# --- baselines' pieces --------------------------------------------------------------------------
def test_textbook_chunks_map_to_the_clause_holding_most_of_their_text():
    notice = parse_notice(NOTICE, "digital")
    spans = clause_spans(NOTICE, notice)
    assert [s[2] for s in spans] == [None, 1, 2, None]
    start1 = NOTICE.index("一、加强")
    start2 = NOTICE.index("二、培育")
    assert clause_at(spans, start1 + 5, 20) == 1
    assert clause_at(spans, start2 - 5, 30) == 2
    assert clause_at(spans, 0, 30) is None
    assert search_text("这条找谁？", [{"role": "user", "content": "算力？"}, {"role": "assistant", "content": "…"}]) \
        == "算力？ 这条找谁？"


# --- the CLI ------------------------------------------------------------------------------------
REAL_SET = [
    {"id": "a", "kind": "fact", "lang": "zh", "question": "工业用地占比有没有最低要求？",
     "expect": {"clauses": [1], "facts": ["20%"], "refused": False, "must_not": []}},
    {"id": "b", "kind": "followup", "lang": "zh", "question": "这条找哪个部门？", "history_questions": ["工业用地成本这块有什么优惠？"],
     "expect": {"clauses": [3], "facts": ["市财政局"], "refused": False, "must_not": []}},
    {"id": "c", "kind": "oos", "lang": "zh", "question": "驾照快到期了，在西安去哪换证？",
     "expect": {"clauses": [], "facts": [], "refused": True, "must_not": []}},
]


def _write_set(tmp_path: Path) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in REAL_SET), encoding="utf-8")
    return path


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], check=False, input=stdin, capture_output=True, text=True, env=ENV,
                          cwd=ROOT, timeout=300)


def test_eval_answers_scores_a_file_and_writes_reports(tmp_path):
    set_path = _write_set(tmp_path)
    rows = [
        {"id": "a", "answer": "> 确保工业用地占城镇建设用地面积比重不少于 20%。", "refused": False,
         "citations": [{"clause": 1, "title": "强化工业用地保障", "doc_number": "市政办发〔2023〕31号", "quote": "", "units": []}],
         "latency_ms": 3.0},
        {"id": "c", "answer": "抱歉，通知没有涉及这个问题。", "refused": True, "citations": [], "latency_ms": 1.0},
        "garbage",
    ]
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                       encoding="utf-8")
    reports = tmp_path / "reports"
    p = _cli("eval", "--set", str(set_path), "--answers", str(answers), "--reports-dir", str(reports), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["overall"]["n"] == 3 and out["overall"]["correct"] == pytest.approx(2 / 3)
    assert out["overall"]["missing"] == 1 and [f["id"] for f in out["failures"]] == ["b"]
    assert "not valid JSON" in p.stderr and "no usable answer" in p.stderr
    files = sorted(x.suffix for x in reports.iterdir())
    assert files == [".json", ".md", ".png"]
    report = json.loads(next(reports.glob("*.json")).read_text(encoding="utf-8"))
    assert report["answers_file"]["missing"] == ["b"] and report["bar"]["met"] is False
    md = next(reports.glob("*.md")).read_text(encoding="utf-8")
    assert "NOT met" in md and "`b`" in md

    # the gate fails below the bar and, without --reports-dir, writes nothing
    before = set((ROOT / "evals" / "reports").glob("*")) if (ROOT / "evals" / "reports").exists() else set()
    g = _cli("eval", "--set", str(set_path), "--answers", str(answers), "--gate")
    assert g.returncode == 1 and "quality bar: NOT met" in g.stdout
    after = set((ROOT / "evals" / "reports").glob("*")) if (ROOT / "evals" / "reports").exists() else set()
    assert after == before


def test_round_trip_through_ask_jsonl(tmp_path):
    """The documented flow: requests → ask --jsonl → requests for the follow-up turn → ask → eval --answers."""
    set_path = _write_set(tmp_path)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    for _ in range(3):
        req = _cli("eval", "--set", str(set_path), "--requests", "--answers", str(answers))
        assert req.returncode == 0, req.stderr
        if not req.stdout.strip():
            break
        got = _cli("ask", "--jsonl", stdin=req.stdout)
        assert got.returncode == 0, got.stderr
        with answers.open("a", encoding="utf-8") as fh:
            fh.write(got.stdout)
    ids = [json.loads(line)["id"] for line in answers.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == ["a", "b", "b@1", "c"]
    p = _cli("eval", "--set", str(set_path), "--answers", str(answers), "--no-report", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["overall"]["missing"] == 0
    assert out["by_kind"]["oos"]["refusal_recall"] == 1.0
    assert out["by_kind"]["followup"]["hit@1"] == 1.0  # the follow-up was asked with the real first answer
