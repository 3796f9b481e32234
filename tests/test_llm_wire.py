"""The wire path: the real ChatOpenAI client, configured through Settings, against an OpenAI-protocol
server on 127.0.0.1 that these tests start (tests/openai_stub.py). Nothing leaves the machine."""

from __future__ import annotations

import copy
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.answering.llm import make_generator

from .openai_stub import StubOpenAI, closed_port

LAND = "我们想在高新区建个厂，年度供地里有多少是给工业项目的？"
REPLY = "全市年度国有建设用地供应计划中，确保不低于1/3用于工业项目[第1条]。"


@pytest.fixture(scope="module")
def stub():
    with StubOpenAI(reply=REPLY, delay=3.0) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(stub):
    stub.requests.clear()


def via(assistant, settings, base_url: str, timeout: float = 5.0):
    """The session's assistant answering through ChatOpenAI as POLICY_LLM_* would configure it."""
    a = copy.copy(assistant)
    a.llm = make_generator(
        settings.with_(llm={"base_url": base_url, "model": "stub-model", "api_key": "sk-test", "timeout": timeout}).llm,
        a.composer,
    )
    return a


def test_a_whole_answer_through_chat_completions(assistant, settings, stub):
    a = via(assistant, settings, stub.url("ok")).ask(LAND)
    assert a.mode == "llm" and "不低于1/3用于工业项目【第一条】" in a.text
    assert [c.clause for c in a.citations] == [1]
    (req,) = stub.requests
    # read as a stream even for a whole answer: the only way to hold one deadline for all of it
    assert req["body"]["model"] == "stub-model" and req["body"]["stream"] is True
    assert req["headers"]["authorization"] == "Bearer sk-test"
    assert [m["role"] for m in req["body"]["messages"]] == ["system", "user"]
    assert "llm" in a.timings_ms


def test_streaming_chat_completion(assistant, settings, stub):
    steps = list(via(assistant, settings, stub.url("ok")).ask_stream(LAND))
    assert [t for t, final in steps if final is None] == [
        "全市年度国有建设用地供应计划中，确保不低于1/3用于工业项目【第一条】。"
    ]
    text, final = steps[-1]
    assert final.mode == "llm" and text == final.text and "【第一条】" in text
    assert stub.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize(
    "mode,error",
    [
        ("slow", "Timeout"),  # the stub sleeps 3 s; the client waits 0.5 s
        ("error", "500"),
        ("malformed", "JSONDecodeError"),
    ],
)
@pytest.mark.parametrize("streaming", [False, True])
def test_a_failing_model_gives_the_extractive_answer_with_a_note_logged_once(
    assistant, settings, stub, caplog, mode, error, streaming
):
    extractive = assistant.ask(LAND)
    a = via(assistant, settings, stub.url(mode), timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="assistant.answering.llm"):
        answer = list(a.ask_stream(LAND))[-1][1] if streaming else a.ask(LAND)
    assert answer.mode == "extractive" and answer.text == extractive.text
    assert answer.citations == extractive.citations
    assert answer.note.startswith("llm_fallback: model unavailable") and error in answer.note
    assert len([r for r in caplog.records if r.name == "assistant.answering.llm"]) == 1
    assert len(stub.requests) == 1  # no retries


@pytest.mark.parametrize("streaming", [False, True])
def test_a_model_trickling_bytes_is_cut_off_at_one_deadline_per_answer(assistant, settings, stub, streaming):
    """Each piece arrives well within the read timeout, the whole reply would take ~20 s: the answer
    comes back at the deadline (1 s), extractive, saying why."""
    extractive = assistant.ask(LAND)
    a = via(assistant, settings, stub.url("trickle"), timeout=1.0)
    t0 = time.monotonic()
    answer = list(a.ask_stream(LAND))[-1][1] if streaming else a.ask(LAND)
    elapsed = time.monotonic() - t0
    assert answer.mode == "extractive" and answer.text == extractive.text
    assert "no complete answer within 1 s" in answer.note
    assert elapsed < 4, elapsed  # not the ~20 s the model would have taken


def test_connection_refused_gives_the_extractive_answer(assistant, settings):
    a = via(assistant, settings, f"http://127.0.0.1:{closed_port()}/v1")
    answer = a.ask(LAND)
    assert answer.mode == "extractive" and "Connection" in answer.note
    assert list(a.ask_stream(LAND))[-1][1].mode == "extractive"


@pytest.mark.slow
def test_cli_json_contract_reports_mode_llm(assistant, settings, stub):
    """`policy-assistant ask --json` configured only through POLICY_LLM_* (on the session's index)."""
    exe = Path(sys.executable).with_name("policy-assistant")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant.cli"]
    env = {
        **os.environ,
        "POLICY_INDEX_DIR": str(settings.index_dir),
        "POLICY_TODAY": settings.today.isoformat(),
        "POLICY_LLM_BASE_URL": stub.url("ok"),
        "POLICY_LLM_MODEL": "stub-model",
        "POLICY_LLM_API_KEY": "sk-test",
        "POLICY_LLM_TIMEOUT": "10",
    }
    out = subprocess.run(
        cmd + ["ask", "--json", LAND], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["mode"] == "llm" and result["refused"] is False
    assert result["citations"][0]["clause"] == 1 and "【第一条】" in result["answer"]
    assert set(result) == {"answer", "refused", "citations", "mode", "latency_ms"}
    assert stub.requests[0]["body"]["model"] == "stub-model"


@pytest.mark.slow
def test_the_chat_api_streams_only_checked_sentences_of_a_model_answer(tmp_path, settings):
    """End to end: `serve` with a model that writes one good sentence, then invents figures. An
    OpenAI client streaming from our /v1/chat/completions sees the good sentence, never the invented
    one, and ends with the extractive answer."""
    openai = pytest.importorskip("openai")
    from .helpers import Server

    invented = "确保不低于1/3用于工业项目[第1条]。另外配套费减免50%，每亩补贴30万元[第1条]。"
    with StubOpenAI(reply=invented) as model:
        server = Server(
            tmp_path,
            settings.index_dir,
            "--no-ui",
            llm_base_url=model.url("ok"),
            llm_model="stub-model",
            llm_timeout="10",
        )
        try:
            client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0, timeout=60)
            stream = client.chat.completions.create(
                model="policy", messages=[{"role": "user", "content": LAND}], stream=True
            )
            seen, text = [], ""
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
                    seen.append(text)
        finally:
            server.stop()
    assert model.requests, "the model was asked"
    assert not any("30万" in t or "50%" in t for t in seen)
    assert "年度国有建设用地供应计划中" in text and "【第一条 强化工业用地保障】" in text
