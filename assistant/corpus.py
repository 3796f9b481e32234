"""Read a notice (plain text as published) and parse it into a Notice with numbered Clauses.

The parser relies only on the conventions of Chinese government notices of this style:
a 文号 line (…〔2023〕31号), a measures title, a preamble, clauses numbered 一、二、…, each
closing with （责任单位：…）, and a closing paragraph with 有效期至YYYY年M月D日.
Page-break artefacts (a blank line inside a sentence, a half-width ")" closing "（") are
repaired without changing any wording.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from .errors import CorpusError
from .records import Clause, Notice
from .textnorm import CN_NUM, cn_to_int

CLAUSE_START = re.compile(rf"^({CN_NUM})、")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}〔\d{4}〕\d+号")
DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
VALID_UNTIL = re.compile(r"有效期至(\d{4}年\d{1,2}月\d{1,2}日)")
VALID_YEARS = re.compile(rf"有效期({CN_NUM}|\d+)年")
PLAN_UNIT = re.compile(r"由([^，。,]+?)(?:会同|牵头|负责)[^。]*?(?:实施方案|实施细则|实施办法)")
UNITS_BRACKET = re.compile(r"（责任单位[：:](.+?)）\s*$")
TERMINAL = "。！？；：）)」”"
SENTENCE = re.compile(r"[^。！？]*[。！？]|[^。！？]+$")


def _parse_date(s: str) -> date | None:
    m = DATE.search(s)
    return date(int(m[1]), int(m[2]), int(m[3])) if m else None


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


def join_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Join a paragraph that stops mid-sentence with the next one (a page break in the source)."""
    out: list[str] = []
    for para in paragraphs:
        if out and out[-1][-1] not in TERMINAL and not CLAUSE_START.match(para):
            out[-1] += para
        else:
            out.append(para)
    return out


def split_units(units_text: str) -> tuple[str, ...]:
    parts = re.split(r"[、，,；;]", units_text)
    units = []
    for p in parts:
        p = p.strip()
        p = re.sub(r"等$", "", p)
        if p:
            units.append(p)
    return tuple(units)


def split_sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in SENTENCE.findall(text) if s.strip())


def parse_clause(number: int, raw: str) -> Clause:
    text = fix_brackets(raw.strip())
    m = UNITS_BRACKET.search(text)
    units_text = m[1].strip() if m else ""
    body = text[: m.start()].strip() if m else text
    title, _, rest = body.partition("。")
    return Clause(
        number=number,
        title=title.strip(),
        text=text,
        body=body,
        sentences=split_sentences(rest),
        units=split_units(units_text),
        units_text=units_text,
    )


def parse_notice(raw: str, doc_id: str = "notice") -> Notice:
    """Parse the text of one notice. Raises ValueError if it has no numbered clauses."""
    text = raw.replace("\r\n", "\n").replace("\u3000", " ")
    lines = [ln.strip() for ln in text.split("\n")]
    paragraphs = [ln for ln in lines if ln]

    first_clause = next((i for i, p in enumerate(paragraphs) if CLAUSE_START.match(p)), None)
    if first_clause is None:
        raise ValueError(f"{doc_id}: no numbered clauses (一、…) found")

    doc_number_m = next((DOC_NUMBER.search(p) for p in paragraphs if DOC_NUMBER.search(p)), None)
    header = paragraphs[:first_clause]

    # Title of the measures: a header line that is named in 《》 elsewhere, else the line before the preamble.
    named = set(re.findall(r"《([^》]+)》", text))
    title = next((p for p in header if p in named), None)
    title_idx = header.index(title) if title else max(0, first_clause - 2)
    title = title or paragraphs[title_idx]
    preamble = " ".join(join_broken_paragraphs(header[title_idx + 1 :])).strip()

    # Issuing office: the "…文件" banner, else the signature line just above the first date.
    office = ""
    for i, p in enumerate(header):
        if p.endswith("文件") and len(p) < 40:
            office = p[: -len("文件")]
            break
        if DATE.fullmatch(p) and i > 0:
            office = header[i - 1]
            break
    issued = next((_parse_date(p) for p in header if DATE.fullmatch(p)), None)

    # Body: clauses and the closing paragraph(s), up to the distribution list (抄送).
    body: list[str] = []
    for p in paragraphs[first_clause:]:
        if p.startswith("抄送") or (DATE.search(p) and p.endswith("印发")):
            break
        body.append(p)
    body = join_broken_paragraphs(body)

    clauses: list[Clause] = []
    closing: list[str] = []
    for p in body:
        m = CLAUSE_START.match(p)
        if m and not closing:
            number = cn_to_int(m[1])
            assert number is not None
            clauses.append(parse_clause(number, p[m.end() :]))
        else:
            closing.append(fix_brackets(p))
    # The closing text stops at the signature block (office name / date lines) if there is one.
    effective = next((p for p in closing if "有效期" in p or "执行" in p or "施行" in p), closing[0] if closing else "")

    valid_until = None
    if m := VALID_UNTIL.search(effective):
        valid_until = _parse_date(m[1])
    elif (m := VALID_YEARS.search(effective)) and issued:
        years = cn_to_int(m[1]) or 0
        valid_until = date(issued.year + years, issued.month, issued.day)
    plan = PLAN_UNIT.search(effective)

    return Notice(
        doc_id=doc_id,
        doc_number=doc_number_m[0] if doc_number_m else "",
        office=office,
        title=title,
        issued=issued,
        valid_until=valid_until,
        effective=effective,
        plan_unit=plan[1] if plan else None,
        preamble=preamble,
        clauses=tuple(clauses),
        source_sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
    )


def clause_spans(raw: str, notice: Notice) -> list[tuple[int, int, int | None]]:
    """Character spans of the raw text: (start, end, clause number), None for header and closing text."""
    starts: list[tuple[int, int]] = []
    pos = 0
    for line in raw.splitlines(keepends=True):
        m = CLAUSE_START.match(line.strip())
        number = cn_to_int(m[1]) if m else None
        if number is not None and notice.clause(number) is not None and (not starts or number > starts[-1][1]):
            starts.append((pos + len(line) - len(line.lstrip()), number))
        pos += len(line)
    if not starts:
        return [(0, len(raw), None)]
    key = notice.effective.strip()[:12]
    end = raw.find(key, starts[-1][0]) if key else -1
    end = end if end > 0 else len(raw)
    spans: list[tuple[int, int, int | None]] = [(0, starts[0][0], None)]
    for (s, number), nxt in zip(starts, [*(x[0] for x in starts[1:]), end], strict=True):
        spans.append((s, nxt, number))
    spans.append((end, len(raw), None))
    return [s for s in spans if s[1] > s[0]]


def load_notices(corpus_dir: Path) -> list[Notice]:
    """Parse every *.txt notice in the corpus folder, sorted by file name."""
    files = sorted(Path(corpus_dir).glob("*.txt"))
    if not files:
        raise CorpusError(f"no notices (*.txt) in {corpus_dir}", "empty_corpus")
    return [parse_notice(f.read_text(encoding="utf-8"), doc_id=f.stem) for f in files]


def corpus_hash(corpus_dir: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(Path(corpus_dir).glob("*.txt")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()
