"""Pure renderers: parsed notices, citations and user text → HTML / Markdown strings (no Gradio here).

Everything about a notice (title, 文号, dates, clauses, units) comes from the records passed in; the fixed
wording comes from ``i18n``. Text from users or notices is escaped before it is put into HTML."""

from __future__ import annotations

import base64
import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from assistant import Citation, Clause, Notice, int_to_cn
from assistant.answering import GAP

from .i18n import fmt_date, t
from .profile import Names

NAMES_NONE = Names()  # no English names: everything keeps the notice's own wording

# --- safe display of what users type ---------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:$])")


def escape_user(text: str) -> str:
    """Show user text literally in a Markdown chat bubble: no HTML, no Markdown structure."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def status_html(text: str, kind: str) -> str:
    """A status line under the input box (kind: busy | warn | ok); the text is escaped."""
    return f'<div class="status status-{kind}" role="status">{html.escape(text)}</div>'


def md_answer(text: str) -> str:
    """The answer as Markdown: end each "> " quote block with a blank line, so the citation and
    责任单位 lines after it are not pulled into the quote (Markdown's lazy continuation)."""
    return re.sub(r"(?m)^(>[^\n]*)\n(?=[^>\n])", "\\1\n\n", text)


def plain_answer(text: str) -> str:
    """Answer text for the clipboard: the Markdown quote markers removed."""
    return re.sub(r"(?m)^> ?", "", text)


def header_md(title: str, lang: str) -> str:
    """The page heading (the notice profile's title) and the fixed subtitle, as Markdown."""
    return f"{t(lang, 'heading', title=title)}\n{t(lang, 'subtitle')}"


# --- validity bar, sources, read-out text (pure functions of the parsed notices) --------------------
# A notice's state (Service.state: in_force / expiring / expired / repealed / no_expiry) → its colour.
STATE_CLASS = {
    "in_force": "ok",
    "expiring": "expiring",
    "expired": "expired",
    "repealed": "expired",
    "no_expiry": "unknown",
}
WORST_FIRST = ("expired", "repealed", "expiring", "in_force", "no_expiry")


def _state_args(n: Notice, state: str, today: date, lang: str) -> dict:
    args = {"title": html.escape(n.title), "doc": html.escape(n.doc_number), "today": fmt_date(today, lang)}
    if n.valid_until:
        args["until"] = fmt_date(n.valid_until, lang)
        args["days"] = abs((n.valid_until - today).days)
    return args


def _banner_row(n: Notice, state: str, today: date, lang: str) -> str:
    role = ' role="alert"' if state in ("expired", "repealed") else ""
    text = t(lang, state, **_state_args(n, state, today, lang))
    return f'<div class="banner banner-{STATE_CLASS[state]}" data-state="{state}"{role}>{text}</div>'


def banner_html(notices: Sequence[Notice], states: Mapping[str, str], today: date, lang: str) -> str:
    """The validity bar: one compact line per notice; beyond three notices, a count per state (the
    worst state's colour) with the lines folded under it."""
    rows = [_banner_row(n, states.get(n.doc_id, "no_expiry"), today, lang) for n in notices]
    if len(rows) <= 3:
        return f'<div class="vbar">{"".join(rows)}</div>'
    counts = Counter(states.get(n.doc_id, "no_expiry") for n in notices)
    worst = next(s for s in WORST_FIRST if counts.get(s))
    summary = " · ".join(t(lang, f"count_{s}", n=counts[s]) for s in WORST_FIRST if counts.get(s))
    return (
        f'<div class="vbar"><details class="banner banner-{STATE_CLASS[worst]} banner-many" data-state="{worst}">'
        f"<summary>{t(lang, 'notices_count', n=len(rows))}：{summary}</summary>{''.join(rows)}</details></div>"
    )


def validity_text(n: Notice, state: str, today: date, lang: str) -> str:
    """The validity of a notice in a few plain words (sources block, read-out text)."""
    return t(lang, f"short_{state}", **_state_args(n, state, today, lang))


def _units(units: Sequence[str], lang: str, names: Names) -> str:
    return ("、" if lang == "zh" else ", ").join(names.unit(u, lang) for u in units)


def sources_html(
    notices: Sequence[Notice],
    citations: Sequence[Citation],
    states: Mapping[str, str],
    today: date,
    lang: str,
    names: Names = NAMES_NONE,
    latest: bool = False,
) -> str:
    """The collapsible block under an answer: per citation its label, the quoted sentences, 责任单位, 文号
    and validity. Empty for an answer without citations (a refusal). The latest answer's block has the
    id "sources"."""
    items = []
    for c in citations:
        n, _ = _find(notices, c)
        state = states.get(n.doc_id, "no_expiry") if n else "no_expiry"
        quotes = "".join(f"<blockquote>{html.escape(q)}</blockquote>" for q in _quotes(c))
        meta = [(t(lang, "units"), _units(c.units, lang, names)), (t(lang, "doc_number"), c.doc_number)]
        if n:
            meta.append((t(lang, "validity"), validity_text(n, state, today, lang)))
        cells = "".join(f"<span><b>{k}</b> {html.escape(v)}</span>" for k, v in meta if v)
        items.append(
            f'<div class="src"><div class="src-head">{html.escape(citation_label(c, lang, names))}</div>'
            f'{quotes}<div class="src-meta">{cells}</div></div>'
        )
    if not items:
        return ""
    ident = ' id="sources"' if latest else ""
    summary = f"<summary>{t(lang, 'sources', n=len(items))}</summary>"
    return f'<details class="sources"{ident}>{summary}{"".join(items)}</details>'


def readout_text(
    notices: Sequence[Notice],
    citations: Sequence[Citation],
    states: Mapping[str, str],
    today: date,
    lang: str,
    names: Names = NAMES_NONE,
) -> str:
    """What a hotline agent reads to a caller, as plain text: per citation the clause, the verbatim
    sentences, 责任单位 and validity."""
    blocks = []
    for c in citations:
        n, _ = _find(notices, c)
        lines = [
            f"{citation_label(c, lang, names)}（{c.doc_number}）"
            if lang == "zh"
            else f"{citation_label(c, lang, names)} ({c.doc_number})"
        ]
        lines += [t(lang, "readout_quote", quote=q) for q in _quotes(c)]
        if c.units:
            lines.append(t(lang, "readout_units", units=_units(c.units, lang, names)))
        if n:
            lines.append(
                t(lang, "readout_validity", validity=validity_text(n, states.get(n.doc_id, "no_expiry"), today, lang))
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


READOUT = re.compile(r"<!--readout:([A-Za-z0-9+/=]*)-->")
_ONLY_BRACKET = re.compile(r"\s*[（(][^（()）]*[）)]\s*")  # a quote that is just the units bracket (reverse lookups)


def _quotes(c: Citation) -> list[str]:
    """The quoted sentences worth showing and reading out: the units bracket alone is said by 责任单位."""
    return [q.strip() for q in c.quote.split(GAP) if q.strip() and not _ONLY_BRACKET.fullmatch(q)]


def message_html(answer_md: str, sources: str, readout: str) -> str:
    """A chat message: the answer, its sources block, and the read-out text in a comment that the page's
    copy handler puts on the clipboard instead of the message's Markdown (static/app.js)."""
    mark = f"<!--readout:{base64.b64encode(readout.encode()).decode()}-->" if readout else ""
    return f"{answer_md}\n\n{sources}{mark}" if sources or mark else answer_md


def highlight(text: str, quote: str) -> str:
    """HTML-escape ``text`` and wrap each passage of ``quote`` (joined by ……) in <mark>."""
    spans: list[tuple[int, int]] = []
    start = 0
    for part in (p.strip() for p in quote.split(GAP)):
        if not part:
            continue
        i = text.find(part, start)
        if i < 0:
            i = text.find(part)
        if i >= 0:
            spans.append((i, i + len(part)))
            start = i + len(part)
    out, pos = [], 0
    for a, b in sorted(spans):
        a = max(a, pos)
        if a >= b:
            continue
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def citation_label(c: Citation, lang: str, names: Names = NAMES_NONE) -> str:
    if c.clause is None:
        return f"《{c.title}》"
    title = names.title(c.doc_id, c.clause, c.title, lang)
    return f"第{int_to_cn(c.clause)}条 {title}" if lang == "zh" else f"Measure {c.clause}: {title}"


def _find(notices: Sequence[Notice], c: Citation) -> tuple[Notice | None, Clause | None]:
    n = next((x for x in notices if x.doc_id == c.doc_id), None) or next(
        (x for x in notices if x.doc_number == c.doc_number), None
    )
    return n, (n.clause(c.clause) if n and c.clause is not None else None)


def _meta_rows(n: Notice, lang: str, quote: str = "") -> str:
    items = [
        ("doc_number", n.doc_number),
        ("issued", fmt_date(n.issued, lang) if n.issued else ""),
        ("valid_until", fmt_date(n.valid_until, lang) if n.valid_until else ""),
        ("office", n.office),
    ]
    cells = "".join(f"<span><b>{t(lang, k)}</b> {highlight(v, quote)}</span>" for k, v in items if v)
    return f'<div class="cite-meta">{cells}</div>'


def unit_chips(units: Sequence[str], mark: str = "", lang: str = "zh", names: Names = NAMES_NONE) -> str:
    return "".join(
        f'<span class="unit{" unit-hit" if u == mark else ""}">{html.escape(names.unit(u, lang))}</span>' for u in units
    )


def citation_panel_html(notices: Sequence[Notice], c: Citation | None, lang: str, names: Names = NAMES_NONE) -> str:
    """The full text of the cited clause with the quoted sentences highlighted, units, 文号 and dates."""
    if c is None:
        return f'<div class="cite-panel cite-empty">{t(lang, "cite_empty")}</div>'
    n, clause = _find(notices, c)
    if n is None:
        return f'<div class="cite-panel"><blockquote>{html.escape(c.quote)}</blockquote></div>'
    if clause is None:  # a document-level fact: title, 文号, dates, preamble / effective sentence
        body = "".join(f"<p>{highlight(x, c.quote)}</p>" for x in (n.preamble, n.effective) if x)
        units = (
            f'<div class="cite-units"><b>{t(lang, "units")}</b> {unit_chips(c.units, "", lang, names)}</div>'
            if c.units
            else ""
        )
        return (
            f'<div class="cite-panel"><div class="cite-head">《{html.escape(n.title)}》</div>'
            f'{_meta_rows(n, lang, c.quote)}<div class="cite-text">{body}</div>{units}</div>'
        )
    head = citation_label(c, lang, names) if lang == "en" else f"第{int_to_cn(clause.number)}条 {clause.title}"
    text = f"{int_to_cn(clause.number)}、" + highlight(clause.text, c.quote)
    return (
        f'<div class="cite-panel"><div class="cite-head">{html.escape(head)}</div>'
        f'<div class="cite-source">《{html.escape(n.title)}》</div>{_meta_rows(n, lang)}'
        f'<div class="cite-text" lang="zh">{text}</div>'
        f'<div class="cite-units"><b>{t(lang, "units")}</b> {unit_chips(clause.units, "", lang, names)}'
        f'<div class="units-text">{t(lang, "units_text")}{html.escape(clause.units_text)}</div></div></div>'
    )


def unit_choices(notices: Sequence[Notice], lang: str, names: Names = NAMES_NONE) -> list[tuple[str, str]]:
    """Responsible units in the order the notices first name them, with how many measures each has."""
    counts: dict[str, int] = {}
    for n in notices:
        for c in n.clauses:
            for u in c.units:
                counts[u] = counts.get(u, 0) + 1
    return [(t(lang, "all_units"), "")] + [
        (t(lang, "unit_count", unit=names.unit(u, lang), n=k), u) for u, k in counts.items()
    ]


def _mark_keyword(text: str, keyword: str) -> str:
    if not keyword:
        return html.escape(text)
    parts = re.split(f"({re.escape(keyword)})", text, flags=re.IGNORECASE)
    return "".join(f"<mark>{html.escape(p)}</mark>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def browse_html(
    notices: Sequence[Notice], unit: str | None, keyword: str | None, lang: str, names: Names = NAMES_NONE
) -> str:
    """All measures as a table, filtered by responsible unit and keyword (case-insensitive substring)."""
    unit, keyword = unit or "", (keyword or "").strip()
    total = sum(len(n.clauses) for n in notices)
    rows, shown = [], 0
    for n in notices:
        for c in n.clauses:
            if unit and unit not in c.units:
                continue
            if keyword and keyword.lower() not in f"{c.text}{c.units_text}".lower():
                continue
            shown += 1
            doc = f'<div class="m-doc">{html.escape(n.doc_number)}</div>' if len(notices) > 1 else ""
            rows.append(
                f'<tr class="measure" data-clause="{c.number}" data-doc="{html.escape(n.doc_id)}">'
                f'<td class="no">第{int_to_cn(c.number)}条{doc}</td>'
                f'<td><div class="m-title">{_mark_keyword(names.title(n.doc_id, c.number, c.title, lang), keyword)}</div>'
                f"<details><summary>{t(lang, 'show_text')}</summary>"
                f'<div class="m-text">{_mark_keyword(c.text, keyword)}</div></details></td>'
                f'<td class="units">{unit_chips(c.units, unit, lang, names)}</td></tr>'
            )
    head = (
        f"<thead><tr><th>{t(lang, 'col_no')}</th><th>{t(lang, 'col_title')}</th>"
        f"<th>{t(lang, 'col_units')}</th></tr></thead>"
    )
    sources = "".join(
        f'<div class="cite-source">《{html.escape(n.title)}》（{html.escape(n.doc_number)}）</div>' for n in notices
    )
    count = t(lang, "browse_count", shown=shown, total=total)
    table = (
        f'<table class="browse">{head}<tbody>{"".join(rows)}</tbody></table>'
        if rows
        else f'<p class="browse-none">{t(lang, "browse_none")}</p>'
    )
    return f'<div class="browse-wrap">{sources}<div class="browse-count">{count}</div>{table}</div>'
