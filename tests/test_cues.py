"""Phrasing cues are data (assistant/data/cues.toml): every alternative is a sound regex, and each cue
matches its examples and none of its counter-examples."""

from __future__ import annotations

import re

import pytest

from assistant.routing.cues import load_cues, raw_cues
from assistant.settings import DATA

RAW = raw_cues(DATA / "cues.toml")


def _sections(d: dict, prefix: str = ""):
    for key, value in d.items():
        if isinstance(value, dict) and "pattern" in value:
            yield prefix + key, value
        elif isinstance(value, dict):
            yield from _sections(value, prefix + key + ".")


SECTIONS = dict(_sections(RAW))
ALTERNATIVES = [(name, alt) for name, sec in SECTIONS.items() for alt in sec["pattern"]]


@pytest.mark.parametrize("name,alternative", ALTERNATIVES, ids=[f"{n}:{a[:20]}" for n, a in ALTERNATIVES])
def test_each_alternative_is_a_regex_that_needs_some_text(name, alternative):
    rx = re.compile(alternative, re.IGNORECASE)
    assert not rx.fullmatch(""), f"{name}: {alternative!r} matches the empty string, so the cue would match anything"


EXAMPLES = [(name, text, True) for name, sec in SECTIONS.items() for text in sec.get("examples", [])] + [
    (name, text, False) for name, sec in SECTIONS.items() for text in sec.get("not", [])
]


def _compiled(name: str) -> re.Pattern:
    cues = load_cues(DATA / "cues.toml")
    group, _, key = name.partition(".")
    value = getattr(cues, group)
    if isinstance(value, dict):
        return value[key]
    if isinstance(value, tuple):
        return dict(value)[key]
    return value


@pytest.mark.parametrize("name,text,matches", EXAMPLES, ids=[f"{n}:{t}" for n, t, _ in EXAMPLES])
def test_cue_examples(name, text, matches):
    assert bool(_compiled(name).search(text)) is matches


def test_every_cue_has_examples():
    assert [n for n, sec in SECTIONS.items() if not sec.get("examples")] == []


def test_filler_words_are_plain_words():
    assert all(w and w == w.strip() and not re.search(r"[\\|()\[\]]", w) for w in RAW["filler"]["words"])
