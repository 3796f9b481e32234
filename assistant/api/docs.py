"""Request-body schemas for the OpenAPI page (/docs). The bodies themselves are read by the contract
module, not by FastAPI, so these only document them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskBody(BaseModel):
    question: str = Field(
        ..., examples=["链长制是怎么回事？"], description="the question, up to POLICY_LIMITS_QUESTION_CHARS"
    )
    history: list[Turn] = Field(default_factory=list, description="the conversation so far, oldest first")
    doc: str | None = Field(None, description="answer from this notice only (its doc_id or 文号)")
    id: Any = Field(None, description="echoed back in the answer")


class Message(BaseModel):
    role: str = Field(..., description="user / assistant (system and developer messages are ignored)")
    content: str | list[dict] = Field(..., description="text, or a list of {type: text, text} parts")


class ChatBody(BaseModel):
    model: str = Field("policy-assistant", description="any name is accepted")
    messages: list[Message]
    stream: bool = False


class IndexBody(BaseModel):
    rebuild: bool = Field(False, description="build from scratch even if nothing changed")


def _inline(node: Any, defs: dict) -> Any:
    """The schema with every "$ref": "#/$defs/X" replaced by X itself (OpenAPI has no $defs here)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _body(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema()
    schema = _inline(schema, schema.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


ASK_BODY = _body(AskBody)
CHAT_BODY = _body(ChatBody)
INDEX_BODY = _body(IndexBody)
