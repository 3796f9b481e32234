"""The web UI's pure parts on the real parsed notice (no browser, no server): panel, browse table, banner,
escaping, the notice's profile (title, starter questions), the UI strings and the conversation record."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import date, timedelta

import pytest

from assistant import Answer, Citation, Settings, load_notices
from assistant.answering import GAP
from assistant.web import i18n, profile, render
from assistant.web.state import Conversation

from .helpers import ROOT, SEED


@pytest.fixture(scope="module")
def notices():
    return load_notices(Settings.from_env().corpus_dir)


def marked(fragment: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", fragment, flags=re.DOTALL)]


def test_panel_shows_full_clause_with_each_quoted_passage_highlighted(notices) -> None:
    n = notices[0]
    c = n.clauses[0]
    quote = c.sentences[0] + GAP + c.sentences[2]  # two passages that are not adjacent
    out = render.citation_panel_html(notices, Citation(c.number, c.title, n.doc_number, quote, list(c.units)), "zh")
    assert marked(out) == [c.sentences[0], c.sentences[2]]
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert c.text in text  # the full clause, not only the quote
    assert n.doc_number in text and f"{n.valid_until.year}年" in text
    for u in c.units:
        assert u in text


def test_panel_for_a_document_level_fact(notices) -> None:
    n = notices[0]
    out = render.citation_panel_html(notices, Citation(None, n.title, n.doc_number, n.doc_number, []), "zh")
    assert n.doc_number in marked(out)
    assert n.title in html.unescape(out)


def test_browse_by_unit_lists_exactly_the_measures_of_that_unit(notices) -> None:
    units = [u for _, u in render.unit_choices(notices, "zh") if u]
    assert units and len(units) == len(set(units))
    for unit in units:
        out = render.browse_html(notices, unit, "", "zh")
        shown = {int(x) for x in re.findall(r'data-clause="(\d+)"', out)}
        expected = {c.number for n in notices for c in n.clauses if unit in c.units}
        assert shown == expected, unit


def test_browse_by_keyword_and_no_match(notices) -> None:
    out = render.browse_html(notices, "", "用地", "zh")
    shown = {int(x) for x in re.findall(r'data-clause="(\d+)"', out)}
    assert shown == {c.number for n in notices for c in n.clauses if "用地" in c.text}
    assert shown and len(shown) < sum(len(n.clauses) for n in notices)
    assert set(marked(out)) == {"用地"}
    assert "没有符合条件的措施" in render.browse_html(notices, "", "完全不存在的词", "zh")


def states(notices, today):
    from assistant.answering import Composer

    c = Composer(notices)
    return {n.doc_id: c.state(n, today) for n in notices}


def test_banner_in_force_expiring_and_expired(notices) -> None:
    until = notices[0].valid_until
    june = date(until.year, 6, 1)
    ok = render.banner_html(notices, states(notices, june), june, "zh")
    assert "现行有效" in ok and f"{until.year}年{until.month}月{until.day}日" in ok and "已失效" not in ok
    soon = until - timedelta(days=30)
    amber = render.banner_html(notices, states(notices, soon), soon, "zh")
    assert "banner-expiring" in amber and "即将到期" in amber and "仅剩 30 天" in amber
    assert "Expiring soon" in render.banner_html(notices, states(notices, soon), soon, "en")
    later = date(until.year + 1, 1, 15)
    gone = render.banner_html(notices, states(notices, later), later, "zh")
    assert "已失效" in gone and "banner-expired" in gone and 'role="alert"' in gone
    assert "Expired" in render.banner_html(notices, states(notices, later), later, "en")


def test_many_notices_fold_into_one_line_per_state(notices) -> None:
    from dataclasses import replace

    many = [replace(notices[0], doc_id=f"n{i}", doc_number=f"某发〔2024〕{i}号") for i in range(5)]
    many[0] = replace(many[0], valid_until=date(2020, 1, 1))
    today = notices[0].valid_until - timedelta(days=30)
    out = render.banner_html(many, states(many, today), today, "zh")
    assert "共 5 份通知" in out and "1 份已失效" in out and "4 份即将到期" in out
    assert "banner-expired banner-many" in out and out.count('class="banner banner-') == 6  # one line each inside


def test_sources_block_and_read_out_text(notices) -> None:
    n = notices[0]
    c = n.clause(4)
    cit = Citation(
        clause=4, title=c.title, doc_number=n.doc_number, quote=c.sentences[0], units=list(c.units), doc_id=n.doc_id
    )
    today = n.valid_until - timedelta(days=30)
    block = render.sources_html(notices, [cit], states(notices, today), today, "zh")
    assert block.startswith('<details class="sources">') and "来源与依据（1 条）" in block
    assert f"第四条 {c.title}" in block and html.escape(c.sentences[0]) in block
    assert "、".join(c.units) in block and n.doc_number in block and "即将到期" in block
    text = render.readout_text(notices, [cit], states(notices, today), today, "zh")
    assert text.splitlines() == [
        f"第四条 {c.title}（{n.doc_number}）",
        f"原文：{c.sentences[0]}",
        f"责任单位：{'、'.join(c.units)}",
        f"有效期：即将到期：有效期至{n.valid_until.year}年12月31日，仅剩30天",
    ]
    assert "<" not in text and ">" not in text  # plain text: nothing to strip before reading it out
    message = render.message_html("答复", block, text)
    encoded = render.READOUT.search(message)[1]
    assert base64.b64decode(encoded).decode() == text
    assert render.sources_html(notices, [], {}, today, "zh") == ""


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "**粗体** [链接](http://x)",
        "# 标题",
        "1. 列表",
        "> 引用",
        "$$x$$",
        "a & b &lt;",
    ],
)
def test_user_text_is_escaped_for_markdown_and_html(text: str) -> None:
    out = render.escape_user(text)
    assert "<" not in out and ">" not in out
    # Undoing the Markdown backslash escapes and the HTML entities gives back exactly what was typed.
    assert html.unescape(re.sub(r"\\(.)", r"\1", out)) == text


def test_quote_blocks_end_before_the_citation_line() -> None:
    md = render.md_answer("根据第一条：\n> 句一。\n> 句二。\n【第一条 强化工业用地保障】（文号）\n责任单位：甲")
    assert "> 句二。\n\n【第一条" in md and md.count("\n\n") == 1


def test_renderers_do_not_import_gradio() -> None:
    source = (ROOT / "assistant" / "web" / "render.py").read_text(encoding="utf-8")
    assert "gradio" not in source and "import gr" not in source


# --- the notice's profile: title and starter questions come from corpus/<doc_id>.vocab/profile.json ----
def test_title_and_examples_come_from_the_notices_profile(notices) -> None:
    profiles = profile.read_profiles(SEED.parent, notices)
    own = json.loads((SEED.with_name(SEED.stem + ".vocab") / "profile.json").read_text(encoding="utf-8"))
    assert profile.page_titles(profiles) == own["title"]
    groups = profile.starter_examples(profiles)
    assert list(groups) == list(own["examples"])
    for key, group in own["examples"].items():
        assert groups[key]["questions"] == group["questions"] and groups[key]["label"] == group["label"]
    assert render.header_md(own["title"]["zh"], "zh").startswith(f"## {own['title']['zh']}\n")


def test_a_notice_without_a_profile_gets_the_generic_title(tmp_path, notices) -> None:
    (tmp_path / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    profiles = profile.read_profiles(tmp_path, notices)
    assert profiles == {notices[0].doc_id: {}}
    assert profile.page_titles(profiles) == {"zh": "政策助手", "en": "Policy Assistant"}
    assert profile.starter_examples(profiles) == {}
    a, b = {"title": {"zh": "甲", "en": "A"}}, {"title": {"zh": "乙", "en": "B"}}
    assert profile.page_titles({"a": a, "b": dict(a)}) == a["title"]  # notices that agree keep their title
    assert profile.page_titles({"a": a, "b": b})["en"] == "Policy Assistant"  # several notices: generic
    assert profile.page_titles({"a": a, "b": {}})["zh"] == "政策助手"


def test_no_notice_specific_words_in_the_web_package() -> None:
    web = ROOT / "assistant" / "web"
    for path in [*web.rglob("*.py"), *web.rglob("*.json"), *web.rglob("*.js"), *web.rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        for word in ("西安", "Xi'an", "市发改委", "31号", "用地上有什么支持"):
            assert word not in text, f"{word!r} in {path.relative_to(ROOT)}"


# --- UI strings -------------------------------------------------------------------------------------
def test_both_languages_have_the_same_strings_and_placeholders() -> None:
    zh, en = i18n.strings("zh"), i18n.strings("en")
    assert zh.keys() == en.keys()
    for key in zh:
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key
    assert i18n.t("en", "too_long", n=600, max=500).startswith("The question is too long (600")
    assert i18n.t("fr", "send") == zh["send"]  # an unknown language falls back to Chinese


# --- the conversation record ----------------------------------------------------------------------
def test_conversation_keeps_turns_history_and_the_selected_citations() -> None:
    conv = Conversation()
    assert conv.id is None and conv.messages() == [] and conv.citations() == []
    cite = Citation(1, "强化工业用地保障", "某文号", "句一。", ["甲"])
    conv.add("问 *一*", Answer(text="> 句一。\n【第一条】", refused=False, citations=[cite], kind="fact"))
    conv.add("问二", Answer(text="答二", refused=True, citations=[], kind="oos", lang="zh"))
    assert conv.id and len(conv.id) == 12 and conv.feedback_id(0) == f"{conv.id}-1"
    assert conv.history() == [
        {"role": "user", "content": "问 *一*"},
        {"role": "assistant", "content": "> 句一。\n【第一条】"},
        {"role": "user", "content": "问二"},
        {"role": "assistant", "content": "答二"},
    ]
    messages = conv.messages()
    assert messages[0]["content"] == render.escape_user("问 *一*") and messages[1]["content"].endswith("\n\n【第一条】")
    assert conv.selected == 1 and conv.citations() == []
    assert conv.answer_of(1) == 0 and conv.answer_of(2) == 1 and conv.answer_of(4) is None
    conv.selected = conv.answer_of(1)
    assert conv.citations() == [cite]
    assert conv.turns[0].cited() == [{"clause": 1, "title": "强化工业用地保障", "doc_number": "某文号"}]


def test_a_conversation_survives_the_browser_storage_and_bad_storage_is_ignored(notices) -> None:
    n = notices[0]
    conv = Conversation()
    cit = Citation(
        clause=1, title=n.clause(1).title, doc_number=n.doc_number, quote="引用", units=["市工信局"], doc_id=n.doc_id
    )
    conv.add("用地有什么支持？", Answer(text="答复", refused=False, citations=[cit], kind="fact", lang="zh"))
    back = Conversation.from_json(json.loads(json.dumps(conv.to_json())))
    assert back is not None and back.id == conv.id and back.turns == conv.turns and back.selected == 0
    assert back.history() == conv.history() and back.title() == "用地有什么支持？"
    for bad in [
        None,
        "x",
        {"turns": "x"},
        {"turns": [{"question": 1}]},
        {"turns": [{}]},
        {"turns": [{**conv.to_json()["turns"][0], "citations": [{"evil": 1}]}]},
        {"turns": [{**conv.to_json()["turns"][0], "refused": "no"}]},
        {"id": "x" * 100, "turns": []},
    ]:
        assert Conversation.from_json(bad) is None


def test_the_english_page_uses_the_notices_english_names(notices) -> None:
    n = notices[0]
    names = profile.names(profile.read_profiles(ROOT / "corpus", notices))
    c = n.clause(4)
    cit = Citation(
        clause=4, title=c.title, doc_number=n.doc_number, quote=c.sentences[0], units=list(c.units), doc_id=n.doc_id
    )
    english = names.measures[(n.doc_id, 4)]
    assert render.citation_label(cit, "en", names) == f"Measure 4: {english}"
    assert render.citation_label(cit, "zh", names) == f"第四条 {c.title}"  # the Chinese page keeps the notice's
    text = render.readout_text(notices, [cit], {n.doc_id: "in_force"}, n.valid_until, "en", names)
    assert text.startswith(f"Measure 4: {english} ({n.doc_number})")
    assert f"Responsible units: {names.units[c.units[0]]}" in text
    assert c.sentences[0] in text  # the quote stays the Chinese original
    table = render.browse_html(notices, "", "", "en", names)
    assert english in table and names.units[c.units[0]] in table
    assert render.citation_label(cit, "en") == f"Measure 4: {c.title}"  # no data: the Chinese title
