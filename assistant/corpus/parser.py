"""The text of one file → the notices it holds, as Chinese official documents are written.

A file is a notice (国发〔2018〕38号: its measures in its own body) or a 印发 notice carrying one or more
documents (the 《…》 its transmittal names, found again as a title line; or 附件 documents). Each document
becomes a Notice: its measures (structure.py), their units (units.py), and the document facts — issuing
office, 文号, title, addressees (主送), copies (抄送), issue and print dates, effective date, validity,
who interprets it, who drafts the implementation plan, and the older notices it supersedes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from ..records import Clause, Notice
from ..textnorm import CN_NUM, cn_to_int
from .structure import ORDER, Item, fix_brackets, group, is_heading, join_broken, level_of, measure_level, outline
from .units import find_units

DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号")
DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
TITLE_END = re.compile(
    r"(?:通知|意见|决定|办法|规定|方案|批复|函|公告|通告|措施|政策|细则|规划|计划|纲要|条例)(?:[（(][^）)]*[)）])?$"
)
# a paragraph that is only names in a list (市监委，市法院，各人民团体。): no colon, no sentence inside
LIST_OF_NAMES = re.compile(r"^[^。，、：:；;\s]{2,20}(?:[，、][^。，、：:；;\s]{2,20})+。?$")
SIGNATURE_END = re.compile(r"^(?:抄送|[（(]此件.{0,12}[)）])|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$")
ATTACHMENT = re.compile(r"附件\s*\d*\s*[:：]?")
_D = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
VALID_UNTIL = re.compile(
    rf"有效期\s*(?:为|自)?\s*(?:{_D}\s*(?:起)?\s*)?(?:至|到|截至|截止到?)\s*({_D})"  # 有效期至… / 有效期为…至…
    rf"|(?:施行|执行|实施)[^。]{{0,12}}?至\s*({_D})\s*止"  # 自…起施行，至…止
)
VALID_YEARS = re.compile(rf"(?:有效期|试行期|试行)\s*(?:为|暂定)?\s*({CN_NUM}|(?<!\d)\d{{1,2}})\s*年(?!\s*\d)")
EFFECTIVE = re.compile(
    r"自\s*(?:本[\u4e00-\u9fff]{1,4})?(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|印发之日|发布之日|公布之日)\s*起"
)
EFFECTIVE_SENTENCE = re.compile(
    r"(?:本(?:通知|措施|政策|办法|意见|规定|方案|细则|文件|计划|决定)|自[^。，]{0,20}起)[^。]{0,30}(?:施行|执行|实施|生效|有效)"
    r"|有效期|试行期|停止执行|同时废止"
)
INTERPRETER = re.compile(r"由([^，。；,]{2,30}?)负责解释")
PLAN_UNIT = re.compile(r"(?:由)?([^，。；,由]{2,30}?)(?:会同|牵头|负责)[^。]*?(?:实施方案|实施细则|实施办法|申报指南)")
SUPERSEDE = re.compile(r"同时废止|停止执行|予以废止|废止")
CLOSING_CUE = re.compile(r"施行|执行|有效期|负责解释|废止|印发之日|实施细则|实施方案")
SENTENCE = re.compile(r"[^。！？]*[。！？]|[^。！？]+$")
TITLE_MAX = 40  # a longer phrase before the first 。 is a sentence, not a measure's title


def to_date(s: str | None) -> date | None:
    m = DATE.search(s or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:  # 2月30日 and the like: not a date
        return None


def add_years(d: date, years: int) -> date:
    """d plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def normal_doc_number(s: str) -> str:
    s = re.sub(r"\s+", "", s)
    return re.sub(r"[\]］)）]", "〕", re.sub(r"[\[［(（]", "〔", s))


def split_sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in SENTENCE.findall(text) if s.strip())


def line_sentences(text: str) -> list[str]:
    """The sentences of each line in turn (a sentence never runs on from one paragraph into the next)."""
    return [s for line in text.split("\n") for s in split_sentences(line)]


def short_title(p: str) -> str:
    """The phrase before the first 。 — or, when that is a whole long sentence, its opening phrase."""
    head = p.partition("。")[0].strip()
    if len(head) > TITLE_MAX:
        head = re.split(r"[，；：]", head)[0].strip()[:TITLE_MAX]
    return head


def clean_lines(raw: str) -> list[str]:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\ufeff", "")
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


# --- measures ------------------------------------------------------------------------------------
def _closing_cut(paragraphs: list[str], any_units: bool) -> int:
    """Where the closing text starts inside the last measure's paragraphs: after its last paragraph that
    names units (when the notice's measures name units), else at the first closing phrase."""
    with_units = [i for i, p in enumerate(paragraphs) if find_units(p)]
    if any_units and with_units:
        return with_units[-1] + 1
    return next((i for i, p in enumerate(paragraphs) if i > 0 and CLOSING_CUE.search(p)), len(paragraphs))


def build_clause(item: Item, paragraphs: list[str], level: str) -> Clause | None:
    number = cn_to_int(item.number)
    if number is None:
        return None
    paras = [fix_brackets(p) for p in paragraphs if p]
    if not paras:
        return None
    text = "\n".join(paras)
    found = find_units(text)
    lead: list[str] = []
    support: list[str] = []
    for _, u in found:
        lead += [x for x in u.lead if x not in lead]
    for _, u in found:
        support += [x for x in u.support if x not in support and x not in lead]
    heading = is_heading(paras[0]) and len(paras) > 1
    title = paras[0] if heading else short_title(paras[0])
    # The body is the text without its units brackets; sentences are quoted from it, paragraph by paragraph.
    body_paras = []
    for p in paras:
        for m, _ in find_units(p)[::-1]:
            p = p[: m.start()] + p[m.end() :]
        body_paras.append(p.strip())
    body = "\n".join(body_paras).strip()
    if heading:
        quotable = body_paras[1:]
    elif len(paras[0].partition("。")[0]) <= TITLE_MAX and "。" in body_paras[0]:
        quotable = [body_paras[0].partition("。")[2], *body_paras[1:]]  # the title phrase is not quoted
    else:
        quotable = body_paras
    sentences = tuple(s for p in quotable for s in split_sentences(p))
    if not sentences:  # a one-sentence measure: that sentence is its content
        sentences = tuple(s for p in body_paras for s in split_sentences(p))
    label = ("".join(item.parents[-1:]) + item.label) if level == "l2" and item.parents else item.label
    return Clause(
        number=number,
        title=title,
        text=text,
        body=body,
        sentences=sentences,
        units=tuple(dict.fromkeys(lead + support)),
        units_text="；".join(dict.fromkeys(u.text for _, u in found)),
        label=label,
        lead_units=tuple(lead),
        support_units=tuple(support),
        units_quote="……".join(dict.fromkeys(m[0] for m, _ in found)),
    )


def measures(paragraphs: list[str]) -> tuple[list[str], list[Clause], list[str]]:
    """(preamble paragraphs, measures, closing paragraphs) of one document's body."""
    before, items = outline(join_broken(paragraphs))
    level = measure_level(items)
    if level is None:
        return before, [], []
    groups = group(items, level)
    closing: list[str] = []
    if groups:
        any_units = any(find_units(p) for _, ps in groups for p in ps)
        it, last = groups[-1]
        cut = _closing_cut(last, any_units)
        groups[-1] = (it, last[:cut])
        closing = last[cut:]
    # Text after the measures that sits under a later top-level heading (组织实施 …) is closing text too.
    rank = ORDER.index(level)
    last_index = max((items.index(it) for it, _ in groups), default=-1)
    for it in items[last_index + 1 :]:
        if ORDER.index(it.level) < rank:
            closing += [it.label + it.paragraphs[0], *it.paragraphs[1:]]
    clauses: list[Clause] = []
    seen: set[int] = set()
    for it, paras in groups:
        c = build_clause(it, paras, level)
        if c is not None and c.number not in seen:
            seen.add(c.number)
            clauses.append(c)
    return before, clauses, [fix_brackets(p) for p in closing]


# 《…》已经市政府同意 / 经国务院同意: who approved the document the notice issues
APPROVED = re.compile(r"经[^，。；]{1,20}?(?:同意|批准)")
# how the document is published, a line of its own at the end: （此件公开发布）
DISCLOSURE = re.compile(r"此件(?:公开发布|主动公开|依申请公开|不予公开|不公开)")


# --- documents -----------------------------------------------------------------------------------
def _signature(lines: list[str]) -> dict:
    """Office, issue date, print date and 抄送 from the banner and signature block(s)."""
    out: dict = {"office": "", "issued": None, "printed": None, "copies": ""}
    for i, p in enumerate(lines):
        if p.endswith("文件") and len(p) < 40 and not out["office"] and i < 5:
            out["office"] = p[: -len("文件")]
        elif DATE_LINE.match(p) and out["issued"] is None:
            out["issued"] = to_date(p)
            prev = lines[i - 1] if i else ""
            if not out["office"] and prev and "。" not in prev and len(prev) <= 30 and not level_of(prev):
                out["office"] = prev
        elif p.endswith("印发") and DATE.search(p) and out["printed"] is None:
            out["printed"] = to_date(p)
        elif p.startswith("抄送") and not out["copies"]:
            copies = [re.sub(r"^抄送\s*[：:]\s*", "", p).rstrip("。")]
            for more in lines[i + 1 :]:  # the list goes on in the next paragraph(s): 市监委，市法院，…。
                if not LIST_OF_NAMES.match(more):
                    break
                copies.append(more.rstrip("。"))
            out["copies"] = "，".join(copies)
    return out


def _approval(head: list[str]) -> str:
    """The transmittal's sentence saying who approved the document (《…》已经市政府同意，现印发给你们)."""
    for p in head:
        for sentence in split_sentences(p):
            if APPROVED.search(sentence):
                return sentence
    return ""


def _cut_signature(seg: list[str]) -> list[str]:
    """A document's paragraphs up to its signature block (office and date lines, 抄送, 印发)."""
    out: list[str] = []
    for p in seg:
        if SIGNATURE_END.search(p) or DATE_LINE.match(p):
            if DATE_LINE.match(p) and out and "。" not in out[-1] and len(out[-1]) <= 30 and not level_of(out[-1]):
                out.pop()  # the office line above the date
            break
        out.append(p)
    return out


def _header(lines: list[str]) -> tuple[int, str, str, str]:
    """(index of the last title line, the notice's title joined over lines, 文号, 主送) from the head."""
    first_item = next((i for i, p in enumerate(lines) if level_of(p)), len(lines))
    head = lines[:first_item]
    number = next((m[0] for p in lines[: max(first_item, 12)] if (m := DOC_NUMBER.search(p))), "")
    title_i = next((i for i, p in enumerate(head) if "关于" in p and len(p) < 120), None)
    if title_i is None:  # a file holding just the measures (某市某产业发展促进办法)
        title_i = next((i for i, p in enumerate(head) if TITLE_END.search(p) and len(p) < 80 and "。" not in p), None)
    title, j = "", -1
    if title_i is not None:
        title, j = head[title_i], title_i
        while (
            j + 1 < len(head) and not TITLE_END.search(title) and not DOC_NUMBER.search(head[j + 1]) and len(title) < 90
        ):
            j += 1
            title += head[j]
    addressees = next(
        (
            p
            for p in head[: max(j + 6, 8)]
            if p.endswith(("：", ":")) and len(p) < 120 and ("，" in p or "、" in p or p.startswith("各"))
        ),
        "",
    )
    return j, title, normal_doc_number(number) if number else "", addressees


def parse_file(raw: str, doc_id: str = "notice") -> list[Notice]:
    """Every notice a file holds (the first is the main one; attachments link to it by `parent`).
    Raises ValueError if it holds no numbered measures."""
    lines = clean_lines(raw)
    title_end, notice_title, doc_number, addressees = _header(lines)
    # Documents the transmittal names in 《》 and that start again on a line of their own; 附件 documents.
    head = lines[: next((i for i, p in enumerate(lines) if level_of(p)), len(lines))]
    named = [n for p in head if re.search(r"印发|现将|同意|发给你们", p) for n in re.findall(r"《([^》]+)》", p)]
    starts: dict[int, str] = {}
    for name in dict.fromkeys(named):
        idx = next((i for i, p in enumerate(lines) if p == name and i > title_end), None)
        if idx is not None:
            starts[idx] = name
    named_starts = bool(starts)
    for i, p in enumerate(lines[:-1]):
        if ATTACHMENT.fullmatch(p) and i + 1 not in starts and i > title_end:
            starts[i + 1] = lines[i + 1]
    facts = _signature(lines)
    approval = _approval(head)
    disclosure = next((m[0] for p in lines if (m := DISCLOSURE.fullmatch(p.strip("（）() ")))), "")
    office = facts["office"] or (notice_title.partition("关于")[0] if "关于" in notice_title else "")
    if not named_starts:  # the notice itself holds measures (its attachments, if any, follow)
        begin = lines.index(addressees) + 1 if addressees in lines else title_end + 1
        starts[begin - 1] = ""
    notices: list[Notice] = []
    order = sorted(starts)
    for k, idx in enumerate(order):
        name = starts[idx]
        end = order[k + 1] if k + 1 < len(order) else len(lines)
        seg = lines[idx + 1 : end]
        if k + 1 < len(order) and seg and ATTACHMENT.fullmatch(seg[-1]):
            seg = seg[:-1]
        before, clauses, closing = measures(_cut_signature(seg))
        if not clauses:
            continue  # an attached list or form (名单, 表) holds no measures
        preamble = " ".join(
            p for p in join_broken(before) if p not in (addressees, doc_number) and not DOC_NUMBER.fullmatch(p)
        )
        first = not notices
        n = Notice(
            doc_id=doc_id if first else f"{doc_id}.att{len(notices)}",
            doc_number=doc_number,
            office=office,
            title=name or notice_title,
            issued=facts["issued"],
            valid_until=None,
            effective="",
            plan_unit=None,
            preamble=fix_brackets(preamble),
            clauses=tuple(clauses),
            source_sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
            notice_title=notice_title,
            addressees=addressees.rstrip("：:"),
            copies=facts["copies"],
            approval=approval,
            disclosure=disclosure,
            printed=facts["printed"],
            parent=None if first else doc_id,
        )
        # In a 第N条 document the closing provisions (附则) are articles themselves.
        facts_text = closing or [c.text for c in clauses[-3:]]
        notices.append(_with_closing_facts(n, facts_text, closing))
    if not notices:
        raise ValueError(f"{doc_id}: no numbered measures (一、 / （一） / 第一条 …) found")
    return notices


def _with_closing_facts(n: Notice, facts_text: list[str], closing: list[str]) -> Notice:
    """Effective date, validity, interpreter, plan unit and supersession from the closing paragraphs."""
    from dataclasses import replace

    closing_paragraphs, closing = closing, facts_text
    text = "\n".join(closing)
    effective = next((p for p in closing if EFFECTIVE_SENTENCE.search(p)), "")
    effective_date = None
    if (m := EFFECTIVE.search(text)) and not re.match(r"\s*\d+\s*(?:日|天|个月)后", text[m.end() :]):
        effective_date = n.issued if "之日" in m[1] else to_date(m[1])
    valid_until, validity = None, ""
    if m := VALID_UNTIL.search(text):
        valid_until, validity = to_date(m[1] or m[2]), m[0]
    elif m := VALID_YEARS.search(text):
        years = cn_to_int(m[1]) or 0
        start = effective_date or n.issued
        if start and years:
            try:
                valid_until = add_years(start, years) - timedelta(days=1)
            except (ValueError, OverflowError):  # beyond year 9999: no date to give
                valid_until = None
        validity = m[0]
    interpreter = m[1] if (m := INTERPRETER.search(text)) else None
    plan = m[1].removeprefix("由").strip() if (m := PLAN_UNIT.search(text)) else None
    supersedes = tuple(
        dict.fromkeys(
            normal_doc_number(x)
            for p in closing
            if SUPERSEDE.search(p)
            for x in DOC_NUMBER.findall(p)
            if normal_doc_number(x) != n.doc_number
        )
    )
    return replace(
        n,
        effective=effective,
        effective_date=effective_date,
        valid_until=valid_until,
        validity=validity,
        interpreter=interpreter,
        plan_unit=plan,
        supersedes=supersedes,
        closing=tuple(closing_paragraphs),
    )
