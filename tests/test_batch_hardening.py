"""`ask --jsonl` never aborts: every input line, however malformed, gets exactly one output line, and every
output line is strict JSON in valid UTF-8 (issue 12, item 1)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.cli import main


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return {"POLICY_INDEX_DIR": str(tmp_path_factory.mktemp("batch-index")), "POLICY_TODAY": "2026-11-30"}


GOOD = '{"id": "ok", "question": "第九条讲的是什么？"}'
BAD_LINES = {
    "lone surrogate id": (b'{"id": "\\ud800", "question": "\xe7\xac\xac\xe4\xb9\x9d\xe6\x9d\xa1"}', None),
    "deep nesting": (b'{"id": "deep", "question": ' + b"[" * 20000 + b"]" * 20000 + b"}", "bad_json"),
    "5000-digit integer": (b'{"id": ' + b"9" * 5000 + b', "question": "x"}', "bad_json"),
    "NaN id": (b'{"id": NaN, "question": "\xe7\xac\xac\xe4\xb9\x9d\xe6\x9d\xa1"}', "bad_json"),
    "Infinity": (b'{"id": 1, "question": "q", "x": Infinity}', "bad_json"),
    "raw 0xff byte": (b'{"id": "\xff", "question": "q"}', "bad_encoding"),
    "non-string question": (b'{"id": 3, "question": 42}', "not_string"),
}


def strict(line: bytes) -> dict:
    """Parse as a strict JSON parser would: UTF-8 only, no NaN/Infinity."""

    def reject(name):
        raise AssertionError(f"{name} in output: {line!r}")

    return json.loads(line.decode("utf-8", errors="strict"), parse_constant=reject)


def run(env, lines: list[bytes]) -> list[bytes]:
    result = CliRunner().invoke(
        main, ["ask", "--jsonl"], input=b"\n".join(lines) + b"\n", env=env, catch_exceptions=False
    )
    assert result.exit_code == 0
    return result.stdout_bytes.splitlines()


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_a_bad_line_gets_its_own_line_and_the_batch_goes_on(env, name):
    bad, code = BAD_LINES[name]
    out = run(env, [GOOD.encode(), bad, GOOD.encode()])
    assert len(out) == 3
    rows = [strict(line) for line in out]
    assert rows[0]["id"] == "ok" and rows[2]["id"] == "ok" and rows[2]["citations"][0]["clause"] == 9
    if code is not None:
        assert rows[1]["code"] == code and rows[1]["error"]


def test_a_lone_surrogate_id_is_echoed_escaped(env):
    out = run(env, [BAD_LINES["lone surrogate id"][0]])
    assert b"\\ud800" in out[0]
    assert strict(out[0])["id"] == "\ud800"


def test_a_byte_order_mark_at_the_start_is_accepted(env):
    out = run(env, [b"\xef\xbb\xbf" + GOOD.encode()])
    assert json.loads(out[0])["citations"][0]["clause"] == 9


def test_a_non_string_question_says_so(env):
    row = json.loads(run(env, [BAD_LINES["non-string question"][0]])[0])
    assert "must be a string" in row["error"] and "empty" not in row["error"]


def test_an_over_long_history_is_refused_with_a_clear_error_and_the_batch_goes_on(env):
    huge_turn = json.dumps(
        {"id": "turn", "question": "这条找哪个部门？", "history": [{"role": "user", "content": "用地" * 600_000}]}
    ).encode()
    many = json.dumps(
        {"id": "total", "question": "这条找哪个部门？", "history": [{"role": "user", "content": "用地" * 9_000}] * 20}
    ).encode()
    rows = [strict(x) for x in run(env, [huge_turn, many, GOOD.encode()])]
    assert [r.get("code") for r in rows[:2]] == ["history_too_long", "history_too_long"]
    assert "history[0]" in rows[0]["error"] and "new conversation" in rows[1]["error"]
    assert rows[2]["citations"][0]["clause"] == 9


def test_only_the_recent_turns_are_used(assistant):
    first = assistant.ask("园区招商方面有什么措施？")
    old = [
        {"role": "user", "content": "第一条讲什么？"},
        {"role": "assistant", "content": "【第一条 强化工业用地保障】"},
    ] * 10
    recent = [{"role": "user", "content": "园区招商方面有什么措施？"}, {"role": "assistant", "content": first.text}]
    a = assistant.ask("这条找哪个部门？", old + recent)
    assert a.citations[0].clause == 4 and "市投资局" in a.text
