"""The OpenAI chat-completions protocol over Assistant.ask: request messages → (question, history), and an
Answer → a `chat.completion` (or a stream of `chat.completion.chunk` events).

- The question is the last message, which must be the user's; earlier user and assistant messages are
  the history. System and developer messages are ignored: the assistant's rules are not negotiable.
- Content may be a string or a list of parts (`{"type": "text", "text": …}`); other parts are ignored.
- Any `model` name is accepted and echoed back; sampling parameters have no effect (answers are
  deterministic).
- The reply text ends with a references block; the extension field `policy` carries the contract's
  answer object (`refused`, `citations` with clause, label, doc_id, quote and units, `mode`, `latency_ms`).
- `usage` counts characters, not tokens (there is no tokenizer in the extractive path).
- Errors come in OpenAI's shape, `{"error": {"message", "type", "code"}}`, with the contract's codes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..errors import InvalidQuestion
from ..records import Answer, Citation
from ..textnorm import int_to_cn

MODEL_ID = "policy-assistant"


def _text(content: object, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return "\n".join(parts)  # type: ignore[arg-type]
    raise InvalidQuestion(f"messages[{i}].content must be a string or a list of text parts", "bad_request")


def read_messages(body: object) -> tuple[str, list[dict], str, bool]:
    """(question, history, model, stream) from a chat-completions request body."""
    if not isinstance(body, dict):
        raise InvalidQuestion("the request must be a JSON object with `messages`", "bad_request")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidQuestion("`messages` must be a non-empty list of {role, content}", "bad_request")
    turns: list[dict] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise InvalidQuestion(f"messages[{i}] must be an object with a string `role`", "bad_request")
        if m["role"] in ("user", "assistant"):
            turns.append({"role": m["role"], "content": _text(m.get("content"), i)})
    if not turns or turns[-1]["role"] != "user":
        raise InvalidQuestion("the last message must be the user's question", "bad_request")
    model = body.get("model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidQuestion("`stream` must be true or false", "bad_request")
    return turns[-1]["content"], turns[:-1], model if isinstance(model, str) and model else MODEL_ID, stream


def references(citations: list[Citation], lang: str) -> str:
    """The block the reply text ends with: one line per cited clause (or document fact)."""
    if not citations:
        return ""
    zh = lang == "zh"
    lines = ["", "---", "参考依据：" if zh else "References:"]
    for i, c in enumerate(citations, 1):
        where = ""
        if c.clause:
            where = f"第{int_to_cn(c.clause)}条" if zh else f"clause {c.clause}"
            if "（" in c.label or "(" in c.label:  # an item inside a section: also the notice's own numbering
                where += f"（{c.label}）" if zh else f" ({c.label})"
        head = " ".join(x for x in (c.doc_number, where, c.title) if x)
        units = ("；责任单位：" if zh else "; units: ") + "、".join(c.units) if c.units else ""
        lines.append(f"[{i}] {head}{units}")
    return "\n".join(lines)


def reply_text(answer: Answer) -> str:
    return answer.text + ("\n" + references(answer.citations, answer.lang) if answer.citations else "")


def _usage(question: str, history: list[dict], text: str) -> dict:
    prompt = len(question) + sum(len(t["content"]) for t in history)
    return {"prompt_tokens": prompt, "completion_tokens": len(text), "total_tokens": prompt + len(text)}


def completion(answer: Answer, extension: dict, model: str, question: str, history: list[dict]) -> dict:
    text = reply_text(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": _usage(question, history, text),
        "policy": extension,
    }


def chunks(answer: Answer, extension: dict, model: str) -> Iterator[str]:
    """The answer as server-sent events in OpenAI's chunk format, ending with `data: [DONE]`. The text is
    sent only once it is final (checked), a line at a time."""
    base: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def event(delta: dict, finish: str | None = None, **extra: Any) -> str:
        obj = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in reply_text(answer).splitlines(keepends=True):
        yield event({"content": piece})
    yield event({}, "stop", policy=extension)
    yield "data: [DONE]\n\n"


def openai_error(exc: Exception) -> dict:
    """An error in OpenAI's shape ({"error": {message, type, code}}), which its clients show."""
    code = getattr(exc, "code", "internal")
    kind = "server_error" if code in ("not_ready", "internal") else "invalid_request_error"
    return {"error": {"message": str(exc), "type": kind, "param": None, "code": code}}


def model_list() -> dict:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "policy-assistant"}],
    }
