"""The fixed UI wording, one JSON file per language in strings/ (zh.json, en.json).

``{placeholders}`` are filled from the parsed notice or its profile, never written in the strings."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path

from assistant.textnorm import cn_date

STRINGS = Path(__file__).resolve().parent / "strings"
DEFAULT = "zh"
LANGS = {"中文": "zh", "English": "en"}  # the language picker's choices → language codes


@cache
def strings(lang: str) -> dict[str, str]:
    """All UI strings of one language (read once); an unknown language gets the default's."""
    path = STRINGS / f"{lang}.json"
    if lang not in LANGS.values() or not path.is_file():
        path = STRINGS / f"{DEFAULT}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def t(lang: str, key: str, **kw: object) -> str:
    s = strings(lang)[key]
    return s.format(**kw) if kw else s


def fmt_date(d: date, lang: str) -> str:
    return cn_date(d) if lang == "zh" else d.isoformat()
