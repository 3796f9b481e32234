"""The outline of a Chinese official document: numbered items at each level — 第一章 / 第N条 articles,
一、 → （一） → 1. / 1﹒ → （1） — the paragraphs each holds, and page-break repair that never changes a
word. Works on paragraphs of plain text; nothing here knows any particular notice."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..textnorm import CN_NUM, cn_to_int

MARKERS = {  # level → a paragraph opening an item of that level (group 1: its number as written)
    "chapter": re.compile(rf"^第\s*({CN_NUM}|\d+)\s*(?:章|节(?=\s|$))"),
    "article": re.compile(rf"^第\s*({CN_NUM}|\d+)\s*条\s*"),
    "l1": re.compile(rf"^({CN_NUM})\s*[、．.]"),
    "l2": re.compile(rf"^[（(]\s*({CN_NUM})\s*[)）]"),
    "l3": re.compile(r"^(\d{1,3})\s*[.．﹒、](?!\d)"),
    "l4": re.compile(r"^[（(]\s*(\d{1,3})\s*[)）]"),
}
ORDER = list(MARKERS)  # outermost first
TERMINAL = "。！？；：）)」”"
HEADING_MAX = 60  # a marker paragraph this short and without 。 is a heading (一、支持工业互联网平台建设)


def fix_brackets(text: str) -> str:
    """Replace a half-width ")" that closes a full-width "（" (and vice versa) with the matching form."""
    out, stack = [], []
    for ch in text:
        if ch in "（(":
            stack.append(ch)
        elif ch in "）)":
            opener = stack.pop() if stack else None
            if opener == "（":
                ch = "）"
            elif opener == "(":
                ch = ")"
        out.append(ch)
    return "".join(out)


def level_of(p: str) -> tuple[str, str, re.Match] | None:
    """(level, number as written, match) if the paragraph opens a numbered item."""
    for level in ORDER:
        m = MARKERS[level].match(p)
        if m:
            return level, m[1], m
    return None


def is_heading(text: str) -> bool:
    return "。" not in text and len(text) <= HEADING_MAX


def _opens_heading(p: str) -> bool:
    lv = level_of(p)
    return bool(lv) and is_heading(p[lv[2].end() :].strip())


def join_broken(paragraphs: list[str]) -> list[str]:
    """Join a paragraph that stops mid-sentence with the next one (a page break in the source), unless
    it is a heading or the next one opens a new item."""
    out: list[str] = []
    for p in paragraphs:
        if (
            out
            and out[-1][-1] not in TERMINAL
            and not level_of(p)
            and not _opens_heading(out[-1])
            and "  " not in out[-1]
            and "  " not in p
        ):  # a table row or a box title is not a broken line
            out[-1] += p
        else:
            out.append(p)
    return out


@dataclass
class Item:
    """A numbered item: its marker paragraph (marker removed) and the unnumbered paragraphs after it."""

    level: str
    number: str  # as written (三十一, 5)
    label: str  # the marker as written (四、 / （三十一） / 第五条)
    paragraphs: list[str] = field(default_factory=list)
    parents: tuple[str, ...] = ()  # labels of the enclosing items (("四、",) for （三十一）)


def outline(paragraphs: list[str]) -> tuple[list[str], list[Item]]:
    """(the paragraphs before the first item, the items in document order)."""
    before: list[str] = []
    items: list[Item] = []
    open_labels: dict[str, str] = {}
    for p in paragraphs:
        lv = level_of(p)
        if lv is None:
            (items[-1].paragraphs if items else before).append(p)
            continue
        level, number, m = lv
        rank = ORDER.index(level)
        open_labels = {k: v for k, v in open_labels.items() if ORDER.index(k) < rank}
        items.append(Item(level, number, m[0].strip(), [p[m.end() :].strip()], tuple(open_labels.values())))
        open_labels[level] = m[0].strip()
    return before, items


def measure_level(items: list[Item]) -> str | None:
    """The level at which the notice counts its measures: 第N条 articles; else the top-level 一、 — unless
    it only groups items numbered straight through the notice (（一）…（五十三）), then those items."""
    count = Counter(i.level for i in items)
    if count["article"] >= 2:
        return "article"
    l2 = [cn_to_int(i.number) for i in items if i.level == "l2"]
    if count["l1"] and len(l2) > count["l1"] and l2 == list(range(l2[0] or 1, (l2[0] or 1) + len(l2))):
        return "l2"
    return next((level for level in ("l1", "l2", "l3") if count[level] >= 2), None)


def group(items: list[Item], level: str) -> list[tuple[Item, list[str]]]:
    """Each item at `level` with its paragraphs and those of the items nested in it (with their markers)."""
    rank = ORDER.index(level)
    groups: list[tuple[Item, list[str]]] = []
    for it in items:
        r = ORDER.index(it.level)
        if it.level == level:
            groups.append((it, list(it.paragraphs)))
        elif r > rank and groups:
            groups[-1][1].extend([it.label + it.paragraphs[0], *it.paragraphs[1:]])
    return groups
