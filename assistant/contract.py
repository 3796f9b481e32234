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
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import InvalidQuestion, PolicyError
from .records import Answer, Clause, Notice

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
    """One input line (or request body) as text: UTF-8 (a byte-order mark at its start is dropped), else InvalidQuestion."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidQuestion(f"not valid UTF-8 (byte {exc.start + 1})", "bad_encoding") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf, which no strict JSON line can echo back
        raise ValueError(f"{text[:40]} is out of range")
    return value


def loads(text: str) -> object:
    """Strict JSON → object. Anything that is not strict JSON — NaN/Infinity, a number beyond Python's
    digit limit or beyond a float's range (1e400), nesting too deep to parse — is an InvalidQuestion
    with code "bad_json"."""
    try:
        return json.loads(text.removeprefix("\ufeff"), parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InvalidQuestion(f"not valid JSON: {exc.msg} (column {exc.colno})", "bad_json") from None
    except RecursionError:
        raise InvalidQuestion("not valid JSON here: nested too deeply", "bad_json") from None
    except ValueError as exc:  # NaN / Infinity, or an integer of thousands of digits
        raise InvalidQuestion(f"not valid JSON here: {str(exc).splitlines()[0][:120]}", "bad_json") from None


def parse_line(line: str) -> AskRequest:
    """One `ask --jsonl` input line (or an HTTP request body) → AskRequest."""
    return parse_request(loads(line))


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


def _iso(d) -> str | None:
    return d.isoformat() if d else None


def notice_json(n: Notice, state: str, status: str, with_clauses: bool = False) -> dict:
    """A notice's document facts (GET /v1/notices[/{doc_id}]); `state` is a code (in_force, expiring,
    expired, repealed, no_expiry), `status` the same in words."""
    out: dict[str, Any] = {
        "doc_id": n.doc_id,
        "doc_number": n.doc_number,
        "title": n.title,
        "notice_title": n.notice_title,
        "office": n.office,
        "issued": _iso(n.issued),
        "printed": _iso(n.printed),
        "effective_date": _iso(n.effective_date),
        "valid_until": _iso(n.valid_until),
        "validity": n.validity,
        "state": state,
        "status": status,
        "interpreter": n.interpreter,
        "plan_unit": n.plan_unit,
        "supersedes": list(n.supersedes),
        "parent": n.parent,
        "clauses": len(n.clauses),
    }
    if with_clauses:
        out.update(
            {
                "addressees": n.addressees,
                "copies": n.copies,
                "approval": n.approval,
                "disclosure": n.disclosure,
                "preamble": n.preamble,
                "effective": n.effective,
                "measures": [
                    {"clause": c.number, "label": c.label, "title": c.title, "units": list(c.units)} for c in n.clauses
                ],
            }
        )
    return out


def clause_json(n: Notice, c: Clause) -> dict:
    """One measure in full (GET /v1/notices/{doc_id}/clauses/{n})."""
    return {
        "doc_id": n.doc_id,
        "doc_number": n.doc_number,
        "clause": c.number,
        "label": c.label,
        "title": c.title,
        "text": c.text,
        "sentences": list(c.sentences),
        "units": list(c.units),
        "lead_units": list(c.lead_units),
        "support_units": list(c.support_units),
        "units_text": c.units_text,
    }
