"""evals.reports: the console tables, the Markdown report, the figure and the report files (in a temp folder)."""

from __future__ import annotations

import json

from evals.datasets import load_items, read_answers
from evals.reports import compare_table, markdown, new_stem, table, write_reports
from evals.running import eval_report

from .eval_data import write_set

ANSWERS = [
    {
        "id": "a",
        "answer": "> 确保工业用地占城镇建设用地面积比重不少于 20%。",
        "refused": False,
        "latency_ms": 3.0,
        "citations": [
            {"clause": 1, "title": "强化工业用地保障", "doc_number": "市政办发〔2023〕31号", "quote": "", "units": []}
        ],
    },
    {"id": "c", "answer": "抱歉，通知没有涉及这个问题。", "refused": True, "citations": [], "latency_ms": 1.0},
]


def _report(settings, tmp_path) -> dict:
    set_path = write_set(tmp_path)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ANSWERS) + "oops\n", encoding="utf-8")
    return eval_report(settings, load_items(set_path), set_path, given=read_answers(answers), source=str(answers))


def test_the_console_table_has_a_row_per_group(settings, tmp_path):
    report = _report(settings, tmp_path)
    lines = table(report["summary"]).splitlines()
    assert lines[0].split() == [
        "n",
        "correct",
        "hit@1",
        "hit@3",
        "MRR",
        "ctxP",
        "ctxR",
        "facts",
        "fabr",
        "refP",
        "refR",
        "falseR",
        "ground",
        "p50ms",
        "p95ms",
    ]
    assert [ln.split()[0] for ln in lines[1:]] == ["overall", "kind:fact", "kind:followup", "kind:oos", "lang:zh"]
    assert lines[1].split()[:3] == ["overall", "3", "0.667"]


def test_compare_table_divides_the_main_system_by_each_other():
    systems = {
        "assistant": {"overall": {"correct": 1.0, "total_p50_ms": 10.0}},
        "bm25": {"overall": {"correct": 0.5, "total_p50_ms": 0.5}},
    }
    lines = compare_table(systems).splitlines()
    assert lines[0].split() == ["metric", "assistant", "bm25", "×bm25"]
    assert lines[1].split() == ["correct", "1.000", "0.500", "2.00"]
    assert next(ln for ln in lines if ln.startswith("total_p50_ms")).split() == [
        "total_p50_ms",
        "10.0",
        "0.50",
        "20.00",
    ]
    assert next(ln for ln in lines if ln.startswith("mrr")).split() == ["mrr", "-", "-", "-"]


def test_markdown_states_the_bar_the_answers_file_and_the_failures(settings, tmp_path):
    report = _report(settings, tmp_path)
    assert report["system"].startswith("answers: ") and report["answers_file"]["missing"] == ["b"]
    md = markdown(report)
    assert md.startswith(f"# Evaluation of {report['system']} — ")
    assert "**NOT met** — fully correct 66.7% < 95%" in md
    assert "3 lines, 2 scored, 1 items without a usable answer, 1 problem line(s)" in md
    assert "- `b` (followup/zh): wrong top clause, facts; expected [3], cited []" in md
    assert "| hit@1 | 0.500 | 2 items labelled with clauses |" in md
    assert "| refusal recall (oos refused) | 1.000 | 1 out-of-scope items |" in md
    assert "## Compared with baselines" not in md


def test_write_reports_writes_json_markdown_and_figure_without_overwriting(settings, tmp_path):
    report = _report(settings, tmp_path)
    reports = tmp_path / "reports"
    first = write_reports(report, reports)
    second = write_reports(report, reports, with_figure=False)
    assert set(first) == {"json", "md", "png"} and set(second) == {"json", "md"}
    assert first["json"].stem != second["json"].stem  # same second: a -2 suffix
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads(first["json"].read_text(encoding="utf-8"))
    assert saved["kind"] == "eval" and saved["figure"] == str(first["png"]) and len(saved["items"]) == 3
    assert f"![accuracy and latency]({first['png'].name})" in first["md"].read_text(encoding="utf-8")
    assert sorted(p.name for p in reports.iterdir()) == sorted(p.name for p in [*first.values(), *second.values()])


def test_new_stem_takes_a_prefix_and_makes_the_folder(tmp_path):
    stem = new_stem(tmp_path / "r", prefix="bench-")
    assert stem.parent.is_dir() and stem.name.startswith("bench-") and len(stem.name) == len("bench-YYYYmmdd-HHMMSS")
