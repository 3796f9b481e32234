"""The `policy-assistant eval` command end to end: answers files, reports, the gate, the requests/ask round
trip and an in-process run. In-process (click's CliRunner) on the session's temp index; one real process."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from click.testing import CliRunner

from assistant.cli import main

from .eval_data import write_set
from .helpers import ROOT, VENV_BIN

REPO_REPORTS = ROOT / "evals" / "reports"
ANSWERS = [
    {
        "id": "a",
        "answer": "> 确保工业用地占城镇建设用地面积比重不少于 20%。",
        "refused": False,
        "citations": [
            {"clause": 1, "title": "强化工业用地保障", "doc_number": "市政办发〔2023〕31号", "quote": "", "units": []}
        ],
        "latency_ms": 3.0,
    },
    {"id": "c", "answer": "抱歉，通知没有涉及这个问题。", "refused": True, "citations": [], "latency_ms": 1.0},
    "garbage",
]


@pytest.fixture
def cli(settings):
    """Run the CLI in this process against the session's temp index (never the repository's index/)."""
    env = {"POLICY_INDEX_DIR": str(settings.index_dir), "POLICY_TODAY": settings.clock().isoformat()}

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)

    return invoke


def _answers_file(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in ANSWERS) + "\n",
        encoding="utf-8",
    )
    return path


def _repo_reports() -> set:
    return set(REPO_REPORTS.glob("*")) if REPO_REPORTS.exists() else set()


def test_eval_answers_scores_a_file_and_writes_reports(cli, tmp_path):
    set_path, answers = write_set(tmp_path), _answers_file(tmp_path)
    reports = tmp_path / "reports"
    p = cli("eval", "--set", str(set_path), "--answers", str(answers), "--reports-dir", str(reports), "--json")
    assert p.exit_code == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["system"] == f"answers: {answers}" and out["bar"]["met"] is False
    assert out["overall"]["n"] == 3 and out["overall"]["correct"] == pytest.approx(2 / 3)
    assert out["overall"]["missing"] == 1 and [f["id"] for f in out["failures"]] == ["b"]
    assert "not valid JSON" in p.stderr and "no usable answer" in p.stderr
    assert sorted(x.suffix for x in reports.iterdir()) == [".json", ".md", ".png"]
    assert sorted(out["reports"]) == ["json", "md", "png"]
    report = json.loads(next(reports.glob("*.json")).read_text(encoding="utf-8"))
    assert report["answers_file"]["missing"] == ["b"] and report["bar"]["met"] is False
    md = next(reports.glob("*.md")).read_text(encoding="utf-8")
    assert "NOT met" in md and "`b`" in md


def test_the_gate_fails_below_the_bar_and_writes_no_report(cli, tmp_path):
    set_path, answers = write_set(tmp_path), _answers_file(tmp_path)
    before = _repo_reports()
    g = cli("eval", "--set", str(set_path), "--answers", str(answers), "--gate")
    assert g.exit_code == 1 and "quality bar: NOT met: fully correct 66.7% < 95%" in g.stdout
    assert "FAIL b (followup/zh): expected [3] cited []" in g.stdout and "report:" not in g.stdout
    assert g.stdout.splitlines()[1].split()[:3] == ["overall", "3", "0.667"]  # the console table comes first
    assert _repo_reports() == before


def test_bad_sets_and_conflicting_options_are_reported(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    p = cli("eval", "--set", str(bad), "--no-report")
    assert p.exit_code == 1 and "bad.jsonl:1: not a question-set line" in p.stderr
    p = cli("eval", "--set", str(write_set(tmp_path)), "--answers", str(_answers_file(tmp_path)), "--drive", "x")
    assert p.exit_code == 2 and "use either --answers or --drive" in p.stderr


def test_round_trip_through_ask_jsonl(cli, assistant, tmp_path):
    """The documented flow: requests → ask --jsonl → requests for the follow-up turn → ask → eval --answers."""
    set_path = write_set(tmp_path)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("")
    for _ in range(3):
        req = cli("eval", "--set", str(set_path), "--requests", "--answers", str(answers))
        assert req.exit_code == 0, req.stderr
        if not req.stdout.strip():
            break
        got = cli("ask", "--jsonl", stdin=req.stdout)
        assert got.exit_code == 0, got.stderr
        with answers.open("a", encoding="utf-8") as fh:
            fh.write(got.stdout)
    ids = [json.loads(line)["id"] for line in answers.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == ["a", "b", "b@1", "c"]
    p = cli("eval", "--set", str(set_path), "--answers", str(answers), "--no-report", "--json")
    assert p.exit_code == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["overall"]["missing"] == 0 and out["reports"] == {}
    assert out["by_kind"]["oos"]["refusal_recall"] == 1.0
    assert out["by_kind"]["followup"]["hit@1"] == 1.0  # the follow-up was asked with the real first answer


def test_eval_asks_the_assistant_in_process(cli, assistant, tmp_path):
    set_path = write_set(tmp_path)
    p = cli("eval", "--set", str(set_path), "--gate")
    assert p.exit_code == 0, p.stderr
    lines = p.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[1:6]] == ["overall", "kind:fact", "kind:followup", "kind:oos", "lang:zh"]
    assert lines[-1] == "quality bar: met"
    p = cli("eval", "--set", str(set_path), "--no-report", "--json")
    out = json.loads(p.stdout)
    assert out["system"] == "assistant" and out["bar"] == {"met": True, "problems": []} and out["compare"] is None
    assert out["overall"]["total_p50_ms"] > 0


def test_the_installed_command_scores_an_answers_file(settings, tmp_path):
    """A real process: the console script imports the harness lazily and exits 1 below the bar."""
    set_path, answers = write_set(tmp_path), _answers_file(tmp_path)
    env = {**os.environ, "POLICY_INDEX_DIR": str(settings.index_dir), "POLICY_TODAY": "2026-11-30"}
    before = _repo_reports()
    p = subprocess.run(
        [str(VENV_BIN / "policy-assistant"), "eval", "--set", str(set_path), "--answers", str(answers), "--gate"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert p.returncode == 1, p.stderr
    assert p.stdout.splitlines()[-1] == "quality bar: NOT met: fully correct 66.7% < 95%"
    assert "warning: line 3: not valid JSON" in p.stderr
    assert _repo_reports() == before
