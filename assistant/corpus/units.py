"""Responsible units as notices write them, lead and supporting units kept apart:
（责任单位：…）, （牵头单位：…；配合单位：…）, （负责部门：…；适用范围：…）, （XX、YY负责）."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEAD_KEYS = ("责任单位", "牵头单位", "负责单位", "责任部门", "牵头部门", "负责部门", "主责单位", "承办单位")
SUPPORT_KEYS = ("配合单位", "配合部门", "协办单位", "参与单位")
_KEYS = "|".join(LEAD_KEYS + SUPPORT_KEYS)
# A bracket naming units: keyed (（责任单位：…）) or ending in 负责 (（市场监管总局负责）). One level of
# nested brackets is allowed inside (（省（区、市）人民政府负责）).
_INNER = r"[^（）()]*(?:[（(][^（）()]*[)）][^（）()]*)*"
KEYED = re.compile(rf"[（(]\s*((?:{_KEYS})\s*[：:]{_INNER})[)）]")
DUTY = re.compile(rf"[（(]({_INNER}?(?:负责|牵头|配合))[)）]")
_SPLIT = re.compile(r"[、，,；;]")
_DUTY_TAIL = re.compile(r"(?:按职责分工|按职责|分别|共同|会同有关部门|会同相关部门|等)?负责$")


@dataclass(frozen=True)
class Units:
    lead: tuple[str, ...]
    support: tuple[str, ...]
    text: str  # the units as written, to read out: the names of a single 责任单位 field, else the whole content

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.lead + self.support))


def split_units(text: str) -> tuple[str, ...]:
    out = []
    for part in _SPLIT.split(text):
        part = re.sub(r"等(?:部门|单位)?$", "", part.strip())
        if part:
            out.append(part)
    return tuple(out)


def parse_bracket(content: str) -> Units | None:
    """The units of one bracket's content (without the brackets), or None if it names none."""
    content = content.strip()
    if re.match(rf"(?:{_KEYS})\s*[：:]", content):
        lead: list[str] = []
        support: list[str] = []
        key = ""
        fields = 0
        for field in re.split(r"[；;]|[，,](?=\s*[^：:，,；;、]{2,8}[：:])", content):
            m = re.match(r"\s*([^：:]{2,8})\s*[：:](.*)$", field)
            if m:
                key, value = m[1].strip(), m[2]
                fields += 1
            else:
                value = field  # units of the same key separated by ；
            if key in LEAD_KEYS:
                lead.extend(split_units(value))
            elif key in SUPPORT_KEYS:
                support.extend(split_units(value))
            # other keys (适用范围 …) are not units
        single = fields == 1 and not support
        text = re.sub(rf"^(?:{_KEYS})\s*[：:]\s*", "", content) if single else content
        return Units(tuple(dict.fromkeys(lead)), tuple(dict.fromkeys(support)), text)
    if "牵头" in content and re.search(r"牵头[，,；;]", content):  # （市发改委牵头，市财政局配合）
        lead, support = [], []
        for part in re.split(r"[，,；;]", content):
            part = part.strip()
            if part.endswith("牵头"):
                lead += split_units(part[: -len("牵头")])
            elif part.endswith(("配合", "负责")):
                support += split_units(_DUTY_TAIL.sub("", re.sub(r"(?:等)?(?:按职责分工)?配合$", "", part)))
        if lead:
            return Units(tuple(lead), tuple(u for u in support if u not in lead), content)
    if content.endswith("负责"):
        names = _DUTY_TAIL.sub("", content)
        said = content.removesuffix("负责")  # as written: 国家发展改革委会同有关部门 (with whom it works)
        m = re.match(r"(.+?)会同(.+)$", names)
        if m:
            support = tuple(u for u in split_units(m[2]) if u not in ("有关部门", "相关部门"))
            return Units(split_units(m[1]), support, said)
        units = split_units(names)
        if units and all(len(u) <= 30 for u in units):
            return Units(units, (), said)
    return None


def find_units(text: str) -> list[tuple[re.Match, Units]]:
    """Every units bracket in a measure's text, in order."""
    out = []
    for rx in (KEYED, DUTY):
        for m in rx.finditer(text):
            u = parse_bracket(m[1])
            if u is not None and (u.lead or u.support):
                out.append((m, u))
    out.sort(key=lambda mu: mu[0].start())
    kept, end = [], -1
    for m, u in out:  # a DUTY match inside a KEYED one is the same bracket
        if m.start() >= end:
            kept.append((m, u))
            end = m.end()
    return kept
