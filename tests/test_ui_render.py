"""The UI's rendering helpers on the real parsed notice (no browser): panel, browse table, banner, escaping."""

from __future__ import annotations

import html
import re
import sys
from datetime import date
from pathlib import Path

import pytest

from assistant.answering import GAP
from assistant.settings import Settings
from assistant.corpus import load_notices
from assistant.records import Citation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # ui.py lives in the repo root
import ui


@pytest.fixture(scope="module")
def notices():
    return load_notices(Settings.from_env().corpus_dir)


def marked(fragment: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", fragment, flags=re.DOTALL)]


def test_panel_shows_full_clause_with_each_quoted_passage_highlighted(notices) -> None:
    n = notices[0]
    c = n.clauses[0]
    quote = c.sentences[0] + GAP + c.sentences[2]  # two passages that are not adjacent
    out = ui.citation_panel_html(notices, Citation(c.number, c.title, n.doc_number, quote, list(c.units)), "zh")
    assert marked(out) == [c.sentences[0], c.sentences[2]]
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert c.text in text  # the full clause, not only the quote
    assert n.doc_number in text and f"{n.valid_until.year}年" in text
    for u in c.units:
        assert u in text


def test_panel_for_a_document_level_fact(notices) -> None:
    n = notices[0]
    out = ui.citation_panel_html(notices, Citation(None, n.title, n.doc_number, n.doc_number, []), "zh")
    assert n.doc_number in marked(out)
    assert n.title in html.unescape(out)


def test_browse_by_unit_lists_exactly_the_measures_of_that_unit(notices) -> None:
    units = [u for _, u in ui.unit_choices(notices, "zh") if u]
    assert units and len(units) == len(set(units))
    for unit in units:
        out = ui.browse_html(notices, unit, "", "zh")
        shown = {int(x) for x in re.findall(r'data-clause="(\d+)"', out)}
        expected = {c.number for n in notices for c in n.clauses if unit in c.units}
        assert shown == expected, unit


def test_browse_by_keyword_and_no_match(notices) -> None:
    out = ui.browse_html(notices, "", "用地", "zh")
    shown = {int(x) for x in re.findall(r'data-clause="(\d+)"', out)}
    assert shown == {c.number for n in notices for c in n.clauses if "用地" in c.text}
    assert shown and len(shown) < sum(len(n.clauses) for n in notices)
    assert set(marked(out)) == {"用地"}
    assert "没有符合条件的措施" in ui.browse_html(notices, "", "完全不存在的词", "zh")


def test_banner_in_force_and_expired(notices) -> None:
    until = notices[0].valid_until
    ok = ui.banner_html(notices, date(until.year, 6, 1), "zh")
    assert "现行有效" in ok and f"{until.year}年{until.month}月{until.day}日" in ok and "已失效" not in ok
    gone = ui.banner_html(notices, date(until.year + 1, 1, 15), "zh")
    assert "已失效" in gone and "banner-expired" in gone
    assert "Expired" in ui.banner_html(notices, date(until.year + 1, 1, 15), "en")


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**粗体** [链接](http://x)",
                                  "# 标题", "1. 列表", "> 引用", "$$x$$", "a & b &lt;"])
def test_user_text_is_escaped_for_markdown_and_html(text: str) -> None:
    out = ui.escape_user(text)
    assert "<" not in out and ">" not in out
    # Undoing the Markdown backslash escapes and the HTML entities gives back exactly what was typed.
    assert html.unescape(re.sub(r"\\(.)", r"\1", out)) == text


def test_quote_blocks_end_before_the_citation_line() -> None:
    md = ui.md_answer("根据第一条：\n> 句一。\n> 句二。\n【第一条 强化工业用地保障】（文号）\n责任单位：甲")
    assert "> 句二。\n\n【第一条" in md and md.count("\n\n") == 1
