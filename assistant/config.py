"""One settings object for the whole assistant. Every field can be set from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _env_date(name: str) -> date | None:
    value = os.environ.get(name)
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    collection: str = "policy_clauses"
    embeddings: str = "use-multilingual"  # or "sentence-transformers:<model name or path>"
    chroma_host: str | None = None  # set (with chroma_port) to use a `chroma run` server
    chroma_port: int = 8000
    data_dir: Path = DATA  # jieba user dictionary, aliases, glossary, refusal cues
    # Retrieval
    rrf_k: int = 60
    top_k: int = 3
    # Out-of-scope gate (routing.ScopeGate): similarity to the notice minus similarity to typical
    # off-topic questions, plus coverage_weight × word coverage, must reach min_scope.
    min_scope: float = -0.08
    coverage_weight: float = 0.3
    max_question_chars: int = 500
    # Web UI
    host: str = "127.0.0.1"
    port: int = 7860
    feedback_log: Path = ROOT / "feedback" / "feedback.jsonl"
    # Clock: the date answers are judged against (validity). None = today.
    today: date | None = None
    # Optional LLM (OpenAI-compatible); unset = extractive answers only.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 20.0
    extra: dict = field(default_factory=dict)

    def clock(self) -> date:
        return self.today or date.today()

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        s = cls()
        pick: dict[str, Callable[[str], object]] = {
            "POLICY_CORPUS_DIR": lambda v: {"corpus_dir": Path(v)},
            "POLICY_INDEX_DIR": lambda v: {"index_dir": Path(v)},
            "POLICY_COLLECTION": lambda v: {"collection": v},
            "POLICY_EMBEDDINGS": lambda v: {"embeddings": v},
            "POLICY_CHROMA_HOST": lambda v: {"chroma_host": v},
            "POLICY_CHROMA_PORT": lambda v: {"chroma_port": int(v)},
            "POLICY_TODAY": lambda v: {"today": date.fromisoformat(v)},
            "POLICY_HOST": lambda v: {"host": v},
            "POLICY_PORT": lambda v: {"port": int(v)},
            "POLICY_FEEDBACK_LOG": lambda v: {"feedback_log": Path(v)},
            "POLICY_LLM_BASE_URL": lambda v: {"llm_base_url": v},
            "POLICY_LLM_MODEL": lambda v: {"llm_model": v},
            "POLICY_LLM_API_KEY": lambda v: {"llm_api_key": v},
            "POLICY_LLM_TIMEOUT": lambda v: {"llm_timeout": float(v)},
        }
        changes: dict = {}
        for name, fn in pick.items():
            if e.get(name):
                changes.update(fn(e[name]))
        return replace(s, **changes)
