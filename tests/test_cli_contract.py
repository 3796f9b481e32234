"""The command-line contract evaluation scripts depend on (README: "JSON contract").

In-process through click's CliRunner; the entry point itself is smoke-tested in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from assistant.cli import main

from .helpers import VENV_BIN


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return {"POLICY_INDEX_DIR": str(tmp_path_factory.mktemp("cli-index")), "POLICY_TODAY": "2026-11-30"}


def cli(env, *args, stdin=None) -> Run:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.mark.slow
def test_the_installed_entry_point_answers_in_a_real_process(env):
    out = subprocess.run(
        [str(VENV_BIN / "policy-assistant"), "ask", "--json", "第九条讲的是什么？"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["citations"][0]["clause"] == 9


def test_index_is_idempotent(env):
    first = cli(env, "index")
    assert first.returncode == 0, first.stderr
    assert "10 clauses" in first.stdout
    second = cli(env, "index")
    assert "up to date" in second.stdout


def test_ask_prints_the_answer_for_a_person(env):
    out = cli(env, "ask", "第九条讲的是什么？")
    assert out.returncode == 0, out.stderr
    assert "【第九条 金融服务实体经济】" in out.stdout
    assert not out.stdout.lstrip().startswith("{")


def test_ask_json_prints_one_object(env):
    out = cli(env, "ask", "--json", "园区基础设施建设方面有什么支持？")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert set(obj) >= {"answer", "refused", "citations", "latency_ms", "mode"}
    assert obj["refused"] is False and obj["mode"] == "extractive"
    c = obj["citations"][0]
    assert set(c) == {"clause", "label", "title", "doc_number", "doc_id", "quote", "units"}
    assert c["label"] == "二、" and c["doc_id"] == "xian-industrial-measures-2023"
    assert c["clause"] == 2 and c["doc_number"] == "市政办发〔2023〕31号"
    assert isinstance(obj["latency_ms"], (int, float))


def test_ask_jsonl_answers_every_line_in_order_and_survives_bad_lines(env):
    first = json.loads(cli(env, "ask", "--json", "园区招商方面有什么措施？").stdout)
    lines = [
        {"id": "s1", "question": "园区基础设施建设方面有什么支持？", "history": []},
        {"id": 2, "question": "第九条讲的是什么？"},
        "not json",
        {"id": "s3", "question": "今天股市怎么样？", "history": []},
        {
            "id": "f",
            "question": "这条找哪个部门？",
            "history": [
                {"role": "user", "content": "园区招商方面有什么措施？"},
                {"role": "assistant", "content": first["answer"]},
            ],
        },
        {"id": "empty", "question": ""},
        {"id": "badhist", "question": "第一条", "history": [{"role": "boss", "content": "x"}]},
        ["a", "list"],
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n"
    out = cli(env, "ask", "--jsonl", stdin=stdin)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r.get("id") for r in rows] == ["s1", 2, None, "s3", "f", "empty", "badhist", None]
    assert rows[0]["citations"][0]["clause"] == 2 and rows[0]["refused"] is False
    assert rows[1]["citations"][0]["clause"] == 9
    assert "error" in rows[2] and "JSON" in rows[2]["error"]
    assert rows[3]["refused"] is True and rows[3]["citations"] == []
    assert rows[4]["citations"][0]["clause"] == 4 and "市投资局" in rows[4]["answer"]
    assert "empty" in rows[5]["error"] and rows[5]["code"] == "empty"
    assert "history" in rows[6]["error"] and rows[6]["code"] == "history"
    assert "error" in rows[7] and rows[7]["code"] == "bad_request"
    assert rows[2]["code"] == "bad_json"
    for r in (rows[0], rows[1], rows[3], rows[4]):
        assert set(r) >= {"id", "answer", "refused", "citations", "latency_ms"}


def test_empty_question_is_a_clear_error(env):
    out = cli(env, "ask", "--json", "  ")
    assert out.returncode == 2
    assert json.loads(out.stdout)["code"] == "empty" and "empty" in json.loads(out.stdout)["error"]


def test_a_non_string_question_says_so(env):
    out = cli(env, "ask", "--jsonl", stdin='{"id": 7, "question": 42}\n')
    row = json.loads(out.stdout)
    assert row == {"id": 7, "error": row["error"], "code": "not_string"} and "must be a string" in row["error"]


def test_an_empty_corpus_is_one_clear_line(env, tmp_path):
    out = CliRunner().invoke(main, ["ask", "第一条"], env={**env, "POLICY_CORPUS_DIR": str(tmp_path)})
    assert out.exit_code == 1 and "no notices" in out.output and "Traceback" not in out.output


def test_today_option_shows_the_expiry_notice(env):
    out = cli(env, "ask", "--today", "2027-02-01", "第一条")
    assert "已失效" in out.stdout
