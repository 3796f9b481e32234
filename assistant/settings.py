"""One settings object for the whole assistant: nested groups, validated, every field settable from the
environment as POLICY_<GROUP>_<FIELD> (top-level fields: POLICY_<FIELD>), e.g. POLICY_PORT,
POLICY_CHROMA_HOST, POLICY_RETRIEVAL_TOP_K. README.md ("Configuration") lists every variable; a test
keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import SettingsError

ROOT = Path(__file__).resolve().parent.parent  # the source checkout (corpus/, index/, evals/)
DATA = Path(__file__).resolve().parent / "data"  # language-level vocabulary shipped with the package
PREFIX = "POLICY_"


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChromaSettings(_Group):
    host: str | None = Field(None, description="use a `chroma run` server at this host instead of the embedded store")
    port: int = Field(8000, ge=1, le=65535, description="port of that server")
    collection: str = Field(
        "policy_clauses",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,100}$",
        description="name of the index: its versions are collections `<name>.v…`, the one served is named by `<name>.current`",
    )
    keep_versions: int = Field(
        1, ge=0, description="older index versions kept after a build (replicas still on one keep answering)"
    )


class RetrievalSettings(_Group):
    top_k: int = Field(3, ge=1, le=50, description="clauses ranked per question")
    fusion: Literal["relative", "rrf"] = Field("relative", description="how BM25 and dense rankings are fused")
    rrf_k: int = Field(60, ge=1, description="k of reciprocal-rank fusion (fusion=rrf)")
    dense_depth: int = Field(40, ge=1, description="clause and sentence documents fetched from Chroma")
    exact_max: int = Field(
        50_000,
        ge=0,
        description="up to this many documents, dense search runs exactly in memory instead of in Chroma's HNSW index",
    )
    bm25_depth: int = Field(50, ge=1, description="clauses kept from BM25 before fusion")
    bm25_weight_zh: float = Field(1.5, ge=0, description="weight of BM25 for Chinese questions")
    bm25_weight_en: float = Field(0.5, ge=0, description="weight of BM25 (glossary translation) for English questions")
    expansion_weight: float = Field(0.5, ge=0, description="weight of glossary-expanded tokens in BM25")
    carried_weight: float = Field(1.0, ge=0, description="weight of the clause carried from the previous turn")
    second_ratio: float = Field(
        0.9, ge=0, le=1, description="a second clause is cited when its score ≥ this × the best"
    )


class QuoteSettings(_Group):
    margin: float = Field(0.6, ge=0, description="sentences scoring within this of the best are quoted")
    ratio: float = Field(0.5, ge=0, le=1, description="… and at least this share of the best score")
    max_sentences: int = Field(4, ge=1, description="most sentences quoted from one clause")


class ScopeSettings(_Group):
    min_score: float = Field(-0.08, description="in-scope threshold of the out-of-scope gate")
    coverage_weight: float = Field(0.3, ge=0, description="weight of word coverage in the gate's score")


class LimitSettings(_Group):
    question_chars: int = Field(500, ge=1, description="longest question accepted (characters)")
    history_turn_chars: int = Field(20_000, ge=1, description="longest history turn accepted (characters)")
    history_chars: int = Field(100_000, ge=1, description="longest history accepted in all (characters)")
    history_turns: int = Field(8, ge=1, description="most recent history turns a question is read with")
    reverse_list: int = Field(30, ge=1, description="measures listed for one unit before 'and N more'")


class LLMSettings(_Group):
    model: str | None = Field(None, description="chat model name; unset = extractive answers only")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, ending in /v1")
    api_key: str | None = Field(None, description="API key, if the endpoint wants one")
    timeout: float = Field(20.0, gt=0, description="seconds one generated answer may take, start to end")
    min_support: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of a generated Chinese sentence's content words that must occur in the cited clauses",
    )


class ServerSettings(_Group):
    """The HTTP server (assistant.api): who may call it and how much."""

    workers: int = Field(1, ge=1, le=64, description="app processes (`serve --workers`); each loads the index")
    api_key: str | None = Field(None, description="when set, /v1/* wants `Authorization: Bearer <key>`")
    ui_auth: str | None = Field(None, description="`user:password` to require a login for the web UI")
    body_limit: int = Field(65_536, ge=1024, description="largest request body accepted (bytes)")
    rate_limit: int = Field(
        600, ge=0, description="requests per minute one client (IP address) may make to /v1/*; 0 = no limit"
    )
    cors_origins: str = Field(
        "", description="comma-separated origins allowed to call the API from a browser; empty = none"
    )
    allowed_hosts: str = Field(
        "", description="comma-separated Host names served besides localhost/127.0.0.1/::1 and the bound host"
    )
    poll_seconds: float = Field(2.0, ge=0, description="how often a server checks for a new index version; 0 = never")


class Settings(_Group):
    corpus_dir: Path = Field(ROOT / "corpus", description="notices to load")
    index_dir: Path = Field(ROOT / "index", description="where the Chroma store and caches live")
    data_dir: Path = Field(DATA, description="language-level vocabulary (stopwords, cues, refusal patterns)")
    embeddings: str = Field(
        "use-multilingual",
        min_length=1,
        description="`use-multilingual` or `sentence-transformers:<model name or path>`",
    )
    today: date | None = Field(None, description="the date validity is judged against (default: today)")
    host: str = Field(
        "127.0.0.1", min_length=1, description="interface the server (API and web UI) binds: loopback by default"
    )
    port: int = Field(7860, ge=1, le=65535, description="port of the server (API and web UI)")
    feedback_log: Path = Field(ROOT / "feedback" / "feedback.jsonl", description="where 👍/👎 feedback is appended")
    feedback_max_bytes: int = Field(
        10_000_000, ge=0, description="size at which the feedback log is rotated (feedback.jsonl.1 …); 0 = never"
    )
    feedback_keep: int = Field(5, ge=1, description="rotated feedback logs kept")
    feedback_rate: int = Field(30, ge=0, description="feedback records one client may send per minute; 0 = no limit")
    chroma: ChromaSettings = ChromaSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    quote: QuoteSettings = QuoteSettings()
    scope: ScopeSettings = ScopeSettings()
    limits: LimitSettings = LimitSettings()
    llm: LLMSettings = LLMSettings()
    server: ServerSettings = ServerSettings()

    def clock(self) -> date:
        return self.today or date.today()

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated); a group takes a dict of its fields to change."""
        data = self.model_dump()
        for key, value in changes.items():
            if isinstance(value, BaseModel):
                value = value.model_dump()
            if isinstance(value, Mapping) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return _validate(data, {})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by every non-empty POLICY_* variable; a bad value raises SettingsError
        naming the variable."""
        e = os.environ if env is None else env
        data: dict[str, Any] = {}
        used: dict[tuple[str, ...], str] = {}
        for name, path in env_names().items():
            value = e.get(name)
            if value:
                used[path] = name
                target = data
                for part in path[:-1]:
                    target = target.setdefault(part, {})
                target[path[-1]] = value
        return _validate(data, used, e)


def _validate(data: dict, used: dict[tuple[str, ...], str], env: Mapping[str, str] | None = None) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = tuple(str(p) for p in err["loc"])
        name = used.get(path) or env_name(path)
        shown = (env or {}).get(name, err.get("input"))
        raise SettingsError(f"{name}={shown!r}: {err['msg']}") from None


def env_name(path: tuple[str, ...]) -> str:
    return PREFIX + "_".join(path).upper()


def fields(model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf setting as (path, pydantic FieldInfo)."""
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from fields(ann, (*prefix, name))
        else:
            yield (*prefix, name), info


def env_names() -> dict[str, tuple[str, ...]]:
    """POLICY_* variable → path of the setting it sets."""
    return {env_name(path): path for path, _ in fields()}
