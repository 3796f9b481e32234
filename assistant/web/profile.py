"""How the notices present themselves on the page: the title and the starter questions, from each notice's
profile (``corpus/<doc_id>.vocab/profile.json``: "title": {zh, en}, "examples": {key: {label: {zh, en},
questions: [...]}}). The running Assistant exposes the same data as ``assistant.profiles[doc_id]``."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.lexicon import read_profiles

from .i18n import LANGS, t

__all__ = ["page_titles", "read_profiles", "starter_examples"]


def page_titles(profiles: Mapping[str, dict]) -> dict[str, str]:
    """The page title per language: the notices' own when every profile names the same one, else generic."""
    return {
        lang: _common({_title(p, lang) for p in profiles.values()}) or t(lang, "app_title") for lang in LANGS.values()
    }


def _title(p: dict, lang: str) -> str | None:
    title = p.get("title")
    return (title.get(lang) or None) if isinstance(title, dict) else None


def _common(values: set[str | None]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


def starter_examples(profiles: Mapping[str, dict]) -> dict[str, dict]:
    """The starter-question groups of all notices, in corpus order ({key: {label: {zh, en}, questions}})."""
    out: dict[str, dict] = {}
    for doc_id, p in profiles.items():
        for key, group in (p.get("examples") or {}).items():
            if not isinstance(group, dict) or not group.get("questions"):
                continue
            label = group.get("label") or {}
            group = {
                "label": {lang: label.get(lang) or key for lang in LANGS.values()},
                "questions": list(group["questions"]),
            }
            out[key if key not in out else f"{doc_id}-{key}"] = group
    return out
