"""The wire contract, owned here and nowhere else: request parsing and validation, the answer JSON,
error objects with codes, and strict JSON text. The CLI (`ask --json/--jsonl`), the evaluation harness
and the HTTP API all go through these functions (README: "JSON contract").

Request:  {"question": str, "history"?: [{"role": "user"|"assistant", "content": str}], "doc"?: str, "id"?: any}
Answer:   {"id"?, "answer": str, "refused": bool, "citations": [{clause, title, doc_number, quote, units}],
           "mode": "extractive"|"llm", "latency_ms": number}
Error:    {"id"?, "error": str, "code": str}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import InvalidQuestion, PolicyError
from .records import Answer

ROLES = ("user", "assistant")


@dataclass
class AskRequest:
    question: str
    history: list[dict] = field(default_factory=list)
    doc: str | None = None  # restrict the answer to one notice (its doc_id)
    id: Any = None


def check_question(question: object, limit: int) -> str:
    """The question as given, or InvalidQuestion saying why it cannot be asked."""
    if not isinstance(question, str):
        raise InvalidQuestion("问题必须是文字 / question must be a string", "not_string")
    if not question.strip():
        raise InvalidQuestion(
            "问题为空，请输入关于通知的问题 / the question is empty: please type a question about the notice", "empty"
        )
    if len(question) > limit:
        raise InvalidQuestion(
            f"问题太长（{len(question)}字），请精简到{limit}字以内 / the question is "
            f"{len(question)} characters long; please keep it under {limit}",
            "too_long",
            limit,
        )
    return question


def check_history(history: object, turn_chars: int | None = None, total_chars: int | None = None) -> list[dict]:
    """The conversation so far as [{role, content}], or InvalidQuestion naming the bad or over-long turn."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidQuestion("对话历史格式不对 / history must be a list of {role, content} objects", "history")
    out = []
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise InvalidQuestion(
                f'对话历史第{i + 1}项格式不对 / history[{i}] must be {{"role": "user"|"assistant", "content": str}}',
                "history",
            )
        if turn_chars is not None and len(turn["content"]) > turn_chars:
            raise InvalidQuestion(
                f"对话历史第{i + 1}项太长（{len(turn['content'])}字，上限{turn_chars}字） / history[{i}] is "
                f"{len(turn['content'])} characters long; the limit is {turn_chars}",
                "history_too_long",
                turn_chars,
            )
        out.append({"role": turn["role"], "content": turn["content"]})
    total = sum(len(t["content"]) for t in out)
    if total_chars is not None and total > total_chars:
        raise InvalidQuestion(
            f"对话历史太长（共{total}字，上限{total_chars}字），请开始新对话 / the history is {total} characters "
            f"long in all; the limit is {total_chars}: start a new conversation",
            "history_too_long",
            total_chars,
        )
    return out


def parse_request(obj: object) -> AskRequest:
    """A decoded request object → AskRequest. Types are checked here; the question's length and the
    history's turns are checked by Assistant.ask (which Python callers reach directly)."""
    if not isinstance(obj, dict):
        raise InvalidQuestion('each request must be a JSON object {"id", "question", "history"}', "bad_request")
    doc = obj.get("doc")
    if doc is not None and not isinstance(doc, str):
        raise InvalidQuestion("doc 必须是文字 / doc must be a string (a notice's doc_id)", "bad_request")
    return AskRequest(question=obj.get("question"), history=obj.get("history") or [], doc=doc or None, id=obj.get("id"))


def decode_line(raw: bytes) -> str:
    """One input line as text: UTF-8 (a byte-order mark at its start is dropped), else InvalidQuestion."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidQuestion(f"not valid UTF-8 (byte {exc.start + 1})", "bad_encoding") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_line(line: str) -> AskRequest:
    """One `ask --jsonl` input line → AskRequest. Anything that is not strict JSON — NaN/Infinity, a number
    beyond Python's digit limit, nesting too deep to parse — is an InvalidQuestion with code "bad_json"."""
    try:
        obj = json.loads(line.removeprefix("\ufeff"), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidQuestion(f"not valid JSON: {exc.msg} (column {exc.colno})", "bad_json") from None
    except RecursionError:
        raise InvalidQuestion("not valid JSON here: nested too deeply", "bad_json") from None
    except ValueError as exc:  # NaN / Infinity, or an integer of thousands of digits
        raise InvalidQuestion(f"not valid JSON here: {str(exc).splitlines()[0][:120]}", "bad_json") from None
    return parse_request(obj)


def citation_json(c) -> dict:
    return asdict(c)


def answer_json(answer: Answer, id_: Any = None, with_id: bool = False) -> dict:
    """The JSON an evaluation script or integrator receives for one answer."""
    out: dict[str, Any] = {"id": id_} if with_id else {}
    out.update(
        {
            "answer": answer.text,
            "refused": answer.refused,
            "citations": [citation_json(c) for c in answer.citations],
            "mode": answer.mode,
            "latency_ms": answer.timings_ms.get("total", 0.0),
        }
    )
    return out


def error_json(exc: BaseException, id_: Any = None, with_id: bool = True) -> dict:
    """The error object for a request that could not be answered."""
    out: dict[str, Any] = {"id": id_} if with_id else {}
    if isinstance(exc, PolicyError):
        out.update({"error": str(exc), "code": exc.code})
    else:
        out.update({"error": f"internal error: {exc}", "code": "internal"})
    return out


def dumps(obj: dict) -> str:
    """One line of strict JSON that is valid UTF-8 (no newline). Chinese stays readable; a lone surrogate
    (from an escaped "\\ud800" in the input) is written escaped, so the line still encodes."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, ensure_ascii=True, allow_nan=False)
    return text
