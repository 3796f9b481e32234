"""Phrasing cues (how people ask: who handles it, which document fact, a follow-up, a figure …) loaded
from data/cues.toml and compiled once. Language-level: no notice's own words live there."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path


def compile_cue(alternatives: list[str]) -> re.Pattern:
    """One pattern matching any of the alternatives (each a regex), case-insensitive."""
    return re.compile("|".join(alternatives), re.IGNORECASE)


@dataclass(frozen=True)
class Cues:
    meta: dict[str, re.Pattern]  # document fact → cue, in the order answers list them
    compare: re.Pattern
    doc_ref: re.Pattern
    units: re.Pattern
    reverse: re.Pattern
    followup: re.Pattern
    list: re.Pattern
    figure: re.Pattern
    figure_kind: tuple[tuple[str, re.Pattern], ...]  # first match wins
    figure_value: dict[str, re.Pattern]
    filler: frozenset[str]

    def figure_kind_of(self, text: str) -> str:
        """What an asked-for figure is about (money, area, time), else "any"."""
        return next((name for name, rx in self.figure_kind if rx.search(text)), "any")

    def states_figure(self, kind: str, quoted: str) -> bool:
        return bool(self.figure_value[kind].search(quoted))


def raw_cues(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


@cache
def load_cues(path: Path) -> Cues:
    d = raw_cues(path)
    return Cues(
        meta={k: compile_cue(v["pattern"]) for k, v in d["meta"].items()},
        compare=compile_cue(d["compare"]["pattern"]),
        doc_ref=compile_cue(d["doc_ref"]["pattern"]),
        units=compile_cue(d["units"]["pattern"]),
        reverse=compile_cue(d["reverse"]["pattern"]),
        followup=compile_cue(d["followup"]["pattern"]),
        list=compile_cue(d["list"]["pattern"]),
        figure=compile_cue(d["figure"]["pattern"]),
        figure_kind=tuple((k, compile_cue(v["pattern"])) for k, v in d["figure_kind"].items()),
        figure_value={k: compile_cue(v["pattern"]) for k, v in d["figure_value"].items()},
        filler=frozenset(d["filler"]["words"]),
    )
