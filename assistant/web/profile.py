"""How the notices present themselves on the page: the title and the starter questions, from each notice's
profile (``corpus/<doc_id>.vocab/profile.json``: "title": {zh, en}, "examples": {key: {label: {zh, en},
questions: [...]}}). The running Assistant exposes the same data as ``assistant.profiles[doc_id]``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.lexicon import read_profiles

from .i18n import LANGS, t

__all__ = ["Names", "names", "page_titles", "read_profiles", "starter_examples"]


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


@dataclass(frozen=True)
class Names:
    """English names of measures and responsible units, from the notices' data (profile.json "english",
    units.tsv), for the English page; what has none keeps its Chinese name."""

    measures: Mapping[tuple[str, int], str] = field(default_factory=dict)  # (doc_id, number) → title
    units: Mapping[str, str] = field(default_factory=dict)  # unit as the notice writes it → English

    def title(self, doc_id: str, number: int | None, title: str, lang: str) -> str:
        return self.measures.get((doc_id, number), title) if lang == "en" and number is not None else title

    def unit(self, unit: str, lang: str) -> str:
        return self.units.get(unit, unit) if lang == "en" else unit


def names(profiles: Mapping[str, dict]) -> Names:
    measures, units = {}, {}
    for doc_id, p in profiles.items():
        english = p.get("english") or {}
        for k, v in (english.get("measures") or {}).items():
            if str(k).isdigit():
                measures[(doc_id, int(k))] = v
        units.update(english.get("units") or {})
    return Names(measures, units)
