"""Pure renderers: parsed notices, citations and user text → HTML / Markdown strings (no Gradio here).

Everything about a notice (title, 文号, dates, clauses, units) comes from the records passed in; the fixed
wording comes from ``i18n``. Text from users or notices is escaped before it is put into HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date

from assistant import Citation, Clause, Notice, int_to_cn
from assistant.answering import GAP

from .i18n import fmt_date, t

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


# --- banner, citation panel, browse table (pure functions of the parsed notices) --------------------
def banner_html(notices: Sequence[Notice], today: date, lang: str) -> str:
    rows = []
    for n in notices:
        args = {"title": html.escape(n.title), "doc": html.escape(n.doc_number), "today": fmt_date(today, lang)}
        if not n.valid_until:
            rows.append(f'<div class="banner banner-unknown">{t(lang, "no_expiry", **args)}</div>')
            continue
        days = (n.valid_until - today).days
        args["until"] = fmt_date(n.valid_until, lang)
        if days >= 0:
            rows.append(f'<div class="banner banner-ok">{t(lang, "in_force", days=days, **args)}</div>')
        else:
            rows.append(
                f'<div class="banner banner-expired" role="alert">{t(lang, "expired", days=-days, **args)}</div>'
            )
    return "".join(rows)


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


def citation_label(c: Citation, lang: str) -> str:
    if c.clause is None:
        return f"《{c.title}》"
    return f"第{int_to_cn(c.clause)}条 {c.title}" if lang == "zh" else f"Measure {c.clause}: {c.title}"


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


def unit_chips(units: Sequence[str], mark: str = "") -> str:
    return "".join(f'<span class="unit{" unit-hit" if u == mark else ""}">{html.escape(u)}</span>' for u in units)


def citation_panel_html(notices: Sequence[Notice], c: Citation | None, lang: str) -> str:
    """The full text of the cited clause with the quoted sentences highlighted, units, 文号 and dates."""
    if c is None:
        return f'<div class="cite-panel cite-empty">{t(lang, "cite_empty")}</div>'
    n, clause = _find(notices, c)
    if n is None:
        return f'<div class="cite-panel"><blockquote>{html.escape(c.quote)}</blockquote></div>'
    if clause is None:  # a document-level fact: title, 文号, dates, preamble / effective sentence
        body = "".join(f"<p>{highlight(x, c.quote)}</p>" for x in (n.preamble, n.effective) if x)
        units = f'<div class="cite-units"><b>{t(lang, "units")}</b> {unit_chips(c.units)}</div>' if c.units else ""
        return (
            f'<div class="cite-panel"><div class="cite-head">《{html.escape(n.title)}》</div>'
            f'{_meta_rows(n, lang, c.quote)}<div class="cite-text">{body}</div>{units}</div>'
        )
    head = f"第{int_to_cn(clause.number)}条 {clause.title}"
    text = f"{int_to_cn(clause.number)}、" + highlight(clause.text, c.quote)
    return (
        f'<div class="cite-panel"><div class="cite-head">{html.escape(head)}</div>'
        f'<div class="cite-source">《{html.escape(n.title)}》</div>{_meta_rows(n, lang)}'
        f'<div class="cite-text" lang="zh">{text}</div>'
        f'<div class="cite-units"><b>{t(lang, "units")}</b> {unit_chips(clause.units)}'
        f'<div class="units-text">{t(lang, "units_text")}{html.escape(clause.units_text)}</div></div></div>'
    )


def unit_choices(notices: Sequence[Notice], lang: str) -> list[tuple[str, str]]:
    """Responsible units in the order the notices first name them, with how many measures each has."""
    counts: dict[str, int] = {}
    for n in notices:
        for c in n.clauses:
            for u in c.units:
                counts[u] = counts.get(u, 0) + 1
    return [(t(lang, "all_units"), "")] + [(t(lang, "unit_count", unit=u, n=k), u) for u, k in counts.items()]


def _mark_keyword(text: str, keyword: str) -> str:
    if not keyword:
        return html.escape(text)
    parts = re.split(f"({re.escape(keyword)})", text, flags=re.IGNORECASE)
    return "".join(f"<mark>{html.escape(p)}</mark>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def browse_html(notices: Sequence[Notice], unit: str | None, keyword: str | None, lang: str) -> str:
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
            rows.append(
                f'<tr class="measure" data-clause="{c.number}"><td class="no">第{int_to_cn(c.number)}条</td>'
                f'<td><div class="m-title">{_mark_keyword(c.title, keyword)}</div>'
                f"<details><summary>{t(lang, 'show_text')}</summary>"
                f'<div class="m-text">{_mark_keyword(c.text, keyword)}</div></details></td>'
                f'<td class="units">{unit_chips(c.units, unit)}</td></tr>'
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
