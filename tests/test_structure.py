"""The parser on the three real notices (read from REAL_NOTICES, never copied) and on made-up layouts:
how measures are counted and labelled, their titles and units, and the document facts around them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from assistant.corpus import parse_file, parse_notice, read

from .helpers import REAL_NOTICES, SEED

GUOBANFA = REAL_NOTICES / "guobanfa-2018-117.txt"
GUOFA = REAL_NOTICES / "guofa-2018-38.txt"
ANHUI = REAL_NOTICES / "anhui-iiot-2021.txt"
CN = "一二三四五六七八九十"


def cn(n: int) -> str:
    if n <= 10:
        return CN[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens - 1]) + "十" + (CN[ones - 1] if ones else "")


def notices_of(path: Path):
    if not path.exists():
        pytest.skip(f"{path} missing (the real notices sit beside the checkout in ../shared/real-notices)")
    return parse_file(read(path), path.stem)


def lines_of(path: Path) -> list[str]:
    return [ln.replace("\u3000", " ").strip() for ln in read(path).split("\n") if ln.strip()]


@pytest.fixture(scope="module")
def guobanfa():
    [n] = notices_of(GUOBANFA)
    return n


@pytest.fixture(scope="module")
def guofa():
    [n] = notices_of(GUOFA)
    return n


@pytest.fixture(scope="module")
def anhui():
    return notices_of(ANHUI)


# --- 国办发〔2018〕117号: 30 measures 一、…三十、 -------------------------------------------------------
def test_guobanfa_thirty_measures_numbered_and_labelled(guobanfa):
    assert [c.number for c in guobanfa.clauses] == list(range(1, 31))
    assert [c.label for c in guobanfa.clauses] == [f"{cn(i)}、" for i in range(1, 31)]
    assert guobanfa.clause(10).label == "十、" and guobanfa.clause(30).label == "三十、"


def test_guobanfa_document_facts(guobanfa):
    assert guobanfa.title == "国务院办公厅关于对真抓实干成效明显地方进一步加大激励支持力度的通知"  # joined over 2 lines
    assert guobanfa.notice_title == guobanfa.title
    assert guobanfa.doc_number == "国办发〔2018〕117号"
    assert guobanfa.issued == date(2018, 12, 6)
    assert guobanfa.office == "国务院办公厅"
    assert guobanfa.addressees == "各省、自治区、直辖市人民政府，国务院各部委、各直属机构"
    assert guobanfa.supersedes == ("国办发〔2016〕82号",)
    assert guobanfa.parent is None


def test_guobanfa_reporting_deadline_is_no_expiry_date(guobanfa):
    assert "2018年12月31日前报送" in read(GUOBANFA)
    assert guobanfa.valid_until is None
    assert guobanfa.validity == ""
    assert "2018年12月31日" not in guobanfa.validity


def test_guobanfa_units_are_the_duty_brackets(guobanfa):
    assert guobanfa.clause(1).units == ("市场监管总局",)
    assert guobanfa.clause(1).units_quote == "（市场监管总局负责）"
    assert guobanfa.clause(6).units == ("交通运输部", "财政部")
    assert guobanfa.clause(6).lead_units == ("交通运输部", "财政部")
    # 会同有关部门 is no unit
    assert all("有关部门" not in u for c in guobanfa.clauses for u in c.units)
    assert all(c.units for c in guobanfa.clauses)
    for c in guobanfa.clauses:  # each one-paragraph measure ends with its own （…负责） bracket
        assert c.text.endswith(c.units_quote) and c.units_quote.endswith("负责）")


def test_guobanfa_closing_paragraphs_are_not_part_of_measure_30(guobanfa):
    last = guobanfa.clause(30)
    assert last.text.endswith("（国务院办公厅负责）")
    assert "报送" not in last.text and "停止执行" not in last.text and "\n" not in last.text
    assert len(guobanfa.closing) == 3
    assert "报送" in guobanfa.closing[1]
    assert guobanfa.closing[-1].endswith("停止执行。")
    assert not any("此件公开发布" in p or p == "国务院办公厅" for p in guobanfa.closing)  # the signature is cut


# --- 国发〔2018〕38号: five 一、 headings grouping （一）…（五十三） --------------------------------------
def test_guofa_fifty_three_measures_numbered_straight_through(guofa):
    assert [c.number for c in guofa.clauses] == list(range(1, 54))
    assert guofa.clause(1).label == "一、（一）"
    assert guofa.clause(31).label == "二、（三十一）"
    assert guofa.clause(53).label == "四、（五十三）"
    for c in guofa.clauses:
        assert re.fullmatch(rf"[一二三四]、（{cn(c.number)}）", c.label), c.label


def test_guofa_group_headings_are_no_measures(guofa):
    lines = lines_of(GUOFA)
    headings = [ln for ln in lines if re.match(r"^[一二三四五]、", ln)]
    assert len(headings) == 5
    for h in headings:
        assert not any(c.title == h[2:] for c in guofa.clauses)
        assert not any(c.text.startswith(h[2:]) for c in guofa.clauses)


def test_guofa_document_facts(guofa):
    assert guofa.doc_number == "国发〔2018〕38号"
    assert guofa.issued == date(2018, 11, 7)
    assert guofa.office == "国务院"
    assert guofa.title == "国务院关于支持自由贸易试验区深化改革创新若干措施的通知"
    assert guofa.valid_until is None


def test_guofa_units_leave_out_the_scope_part(guofa):
    assert guofa.clause(1).lead_units == ("人力资源社会保障部", "住房城乡建设部", "商务部")
    assert guofa.clause(1).units == guofa.clause(1).lead_units
    assert guofa.clause(29).units == ("海关总署",)  # （负责部门：海关总署，适用范围：福建自贸试验区）
    for c in guofa.clauses:
        assert c.units, c.number
        assert c.units_quote.startswith("（负责部门：")
        assert not any("适用范围" in u or "自贸试验区" in u or "：" in u for u in c.units), (c.number, c.units)


def test_guofa_closing_section_is_not_part_of_measure_53(guofa):
    last = guofa.clause(53)
    assert last.text.endswith("（负责部门：人力资源社会保障部，适用范围：上海自贸试验区）")
    assert "\n" not in last.text
    assert guofa.closing and guofa.closing[0].startswith("五、")


# --- 皖政办秘〔2021〕82号: a transmittal carrying two documents ---------------------------------------
def test_anhui_holds_the_policy_and_the_attached_action_plan(anhui):
    assert [n.doc_id for n in anhui] == ["anhui-iiot-2021", "anhui-iiot-2021.att1"]
    main, plan = anhui
    assert main.parent is None and plan.parent == "anhui-iiot-2021"
    assert main.title == "支持工业互联网发展若干政策"
    assert plan.title.startswith("安徽省工业互联网创新发展行动计划")
    assert len(main.clauses) == 8 and [c.number for c in main.clauses] == list(range(1, 9))
    assert len(plan.clauses) == 4 and [c.number for c in plan.clauses] == [1, 2, 3, 4]


def test_anhui_document_facts(anhui):
    main, plan = anhui
    for n in anhui:
        assert n.doc_number == "皖政办秘〔2021〕82号"  # from （皖政办秘〔2021〕82号）
        assert n.addressees == "各市人民政府，省政府各部门，各直属机构"
        assert n.issued == date(2021, 9, 2)
        assert n.office == "安徽省人民政府办公厅"
        assert n.valid_until is None  # 本政策自2021年开始执行: no end date
    assert main.interpreter == "省经济和信息化厅"
    assert "执行" in main.effective and main.effective_date is None


def test_anhui_database_header_is_not_the_title(anhui):
    head = lines_of(ANHUI)[:2]
    assert head[0].startswith("【法宝引证码】") and head[1].startswith("原文链接")
    for n in anhui:
        assert n.notice_title.startswith("安徽省人民政府办公厅关于印发")
        assert n.notice_title.endswith("的通知")
        assert not any(h in n.notice_title or h in n.title or h in n.preamble for h in head)
        assert "法宝" not in n.notice_title + n.title + n.preamble
        assert "pkulaw" not in n.preamble


def test_anhui_measure_titles_are_the_section_headings(anhui):
    main, plan = anhui
    lines = set(lines_of(ANHUI))
    assert main.clause(1).title == "支持工业互联网平台建设"
    for c in [*main.clauses, *plan.clauses]:
        assert f"{c.label}{c.title}" in lines, c.title  # the heading stands on its own line
        assert c.text.startswith(c.title + "\n")
        assert "。" not in c.title
    assert [c.title for c in plan.clauses][:2] == ["总体要求", "行动步骤"]


def test_anhui_units_come_from_every_paragraph_of_a_section(anhui):
    main, _ = anhui
    for c in main.clauses:
        brackets = re.findall(r"（责任单位：([^）]*)）", c.text)
        assert brackets, c.number
        named = {u for b in brackets for u in re.split(r"[、，]", b)}
        assert set(c.units) == named, c.number
        assert c.units_quote.split("……") == list(dict.fromkeys(f"（责任单位：{b}）" for b in brackets))
    assert main.clause(1).units == ("省经济和信息化厅", "省财政厅")
    assert main.clause(3).units == ("省经济和信息化厅", "省财政厅", "省通信管理局")  # lead first, in order
    assert main.clause(3).units_quote.count("……") == 1


def test_anhui_plan_keeps_its_boxes_and_drops_the_attached_list(anhui):
    main, plan = anhui
    assert "专栏1" in plan.clause(2).text
    assert "行动计划" not in main.clause(8).text  # the policy ends before the plan starts
    assert not any("行动计划" in p for p in main.closing)
    last = plan.clause(4)
    assert "专项工作组名单" not in last.text and "组 长" not in last.text and "附件" not in last.text.split("\n")


# --- the seed and every real notice: what is quoted is what the notice says ---------------------------
def test_seed_ten_measures_and_validity():
    n = parse_notice(read(SEED), SEED.stem)
    assert [c.number for c in n.clauses] == list(range(1, 11))
    assert n.valid_until == date(2026, 12, 31)


def all_notices():
    out = parse_file(read(SEED), SEED.stem)
    for path in (GUOBANFA, GUOFA, ANHUI):
        if path.exists():
            out += parse_file(read(path), path.stem)
    return out


def test_quoted_sentences_and_units_are_verbatim_in_every_notice():
    notices = all_notices()
    assert len(notices) >= 1 + 4 * REAL_NOTICES.exists()
    for n in notices:
        for c in n.clauses:
            assert c.sentences, (n.doc_id, c.number)
            for s in c.sentences:
                assert s in c.text, (n.doc_id, c.number, s)
            if c.units_quote:
                for q in c.units_quote.split("……"):
                    assert q in c.text, (n.doc_id, c.number, q)
            assert c.title and c.title in c.text, (n.doc_id, c.number)


# --- made-up layouts --------------------------------------------------------------------------------
HEAD = """某市政办发〔2024〕12号
某市人民政府办公室关于印发某市促进某产业发展若干措施的通知
各区县人民政府，市政府各部门：
《某市促进某产业发展若干措施》已经市政府同意，现印发给你们，请认真贯彻落实。
某市人民政府办公室
2024年2月29日
某市促进某产业发展若干措施
为促进某产业发展，制定如下措施。
"""
TWO = """一、支持企业扩产。对扩产企业给予奖励。（责任单位：市发改委）
二、支持技术改造。对技改项目给予补助。（责任单位：市财政局）
"""


def one(raw: str):
    [n] = parse_file(raw, "made-up")
    return n


ARTICLES = """某市人民政府办公室关于印发某市某产业发展促进办法的通知
某市政办发〔2024〕9号
各县（区）人民政府，市政府各部门：
现将《某市某产业发展促进办法》印发给你们，请认真贯彻执行。
某市人民政府办公室
2024年1月1日
某市某产业发展促进办法
第一章 总则
第一条 为了促进某产业高质量发展，结合本市实际，制定本办法。
第二条 本办法适用于本市行政区域内的某产业企业。
第二章 扶持措施
第三条 对新设立的某产业企业给予开办补贴10万元。（责任单位：市财政局）
第四条 对年营业收入首次超过1亿元的企业给予一次性奖励50万元。（责任单位：市工信局）
第三章 附则
第五条 本办法由市工信局负责解释。
第六条 本办法自2024年1月1日起施行，有效期5年。
"""


def test_articles_are_the_measures_chapters_only_group_them():
    n = one(ARTICLES)
    assert n.title == "某市某产业发展促进办法"
    assert [c.number for c in n.clauses] == [1, 2, 3, 4, 5, 6]
    assert [c.label for c in n.clauses] == [f"第{cn(i)}条" for i in range(1, 7)]
    assert n.clause(3).units == ("市财政局",)
    assert n.clause(3).text == "对新设立的某产业企业给予开办补贴10万元。（责任单位：市财政局）"
    assert not any("章" in c.text for c in n.clauses)  # 第二章 扶持措施 is no part of 第二条


def test_articles_validity_and_interpreter_come_from_the_final_articles():
    n = one(ARTICLES)
    assert n.effective_date == date(2024, 1, 1)
    assert n.valid_until == date(2028, 12, 31)
    assert n.interpreter == "市工信局"


def test_chapter_heading_without_a_space_is_no_part_of_an_article():
    n = one(ARTICLES.replace("章 ", "章"))
    assert [c.number for c in n.clauses] == [1, 2, 3, 4, 5, 6]
    assert not any("章" in c.text for c in n.clauses)
    assert "总则" not in n.preamble


def test_a_standalone_measures_document_takes_its_title_line():
    n = one(ARTICLES.split("2024年1月1日\n", 1)[1])
    assert [c.number for c in n.clauses] == [1, 2, 3, 4, 5, 6]
    assert n.title == "某市某产业发展促进办法"


def test_validity_in_years_from_29_february():
    n = one(HEAD + TWO + "本措施自2024年2月29日起施行，有效期2年。\n")
    assert n.effective_date == date(2024, 2, 29)
    assert n.validity == "有效期2年"
    assert n.valid_until == date(2026, 2, 27)  # the day before 28 February 2026, which stands in for the 29th


def test_validity_in_chinese_numeral_years_from_the_issue_date():
    n = one(HEAD.replace("2024年2月29日", "2024年3月1日") + TWO + "本措施自印发之日起施行，有效期五年。\n")
    assert n.effective_date == n.issued == date(2024, 3, 1)
    assert n.valid_until == date(2029, 2, 28)


def test_validity_until_a_date_written_with_spaces():
    n = one(HEAD + TWO + "本措施自印发之日起施行，有效期至 2027 年 6 月 30 日。\n")
    assert n.valid_until == date(2027, 6, 30)
    assert n.validity == "有效期至 2027 年 6 月 30 日"
    assert n.effective == "本措施自印发之日起施行，有效期至 2027 年 6 月 30 日。"


def test_trial_period():
    n = one(HEAD + TWO + "本措施自2024年7月1日起试行，试行期一年。\n")
    assert n.effective_date == date(2024, 7, 1)
    assert n.validity == "试行期一年"
    assert n.valid_until == date(2025, 6, 30)


def test_no_validity_stated():
    n = one(HEAD + TWO + "本措施由市发改委负责解释。\n")
    assert n.valid_until is None
    assert n.validity == ""
    assert n.interpreter == "市发改委"
    assert n.closing == ("本措施由市发改委负责解释。",)


@pytest.mark.parametrize(
    "closing",
    [
        pytest.param("本措施有效期为2024年3月1日至2026年12月31日。", id="有效期为…至…"),
        pytest.param("本措施有效期自2024年3月1日至2026年12月31日。", id="有效期自…至…"),
        pytest.param("本措施自2024年3月1日起施行，至2026年12月31日止。", id="自…起施行，至…止"),
    ],
)
def test_validity_stated_as_a_date_range(closing):
    n = one(HEAD + TWO + closing + "\n")
    assert n.valid_until == date(2026, 12, 31)


def test_lead_and_support_units_are_kept_apart():
    n = one(
        HEAD
        + "一、支持企业扩产。对扩产企业给予奖励。（牵头单位：市发改委；配合单位：市财政局、市工信局）\n"
        + "二、支持技术改造。对技改项目给予补助。（市场监管局、财政局负责）\n"
    )
    first, second = n.clauses
    assert first.lead_units == ("市发改委",)
    assert first.support_units == ("市财政局", "市工信局")
    assert first.units == ("市发改委", "市财政局", "市工信局")
    assert first.units_quote == "（牵头单位：市发改委；配合单位：市财政局、市工信局）"
    assert "牵头单位" not in first.body and "市工信局" not in first.body
    assert second.units == second.lead_units == ("市场监管局", "财政局")
    assert second.support_units == ()
    assert second.units_text == "市场监管局、财政局"
    assert all("负责" not in s for s in second.sentences)


def test_a_unit_working_with_others_is_shown_as_written():
    n = one(
        HEAD
        + "一、支持集群建设。对集群给予倾斜。（市发改委会同有关部门负责）\n"
        + "二、支持人才。对人才给予奖励。（市人社局负责）\n"
    )
    c = n.clauses[0]
    assert c.lead_units == ("市发改委",) and c.support_units == ()
    assert c.units_text == "市发改委会同有关部门"  # whom the caller is referred to, as the notice says it


@pytest.mark.parametrize(
    ("bracket", "lead", "support"),
    [
        pytest.param("（市发改委牵头，市财政局配合）", ("市发改委",), ("市财政局",), id="牵头，配合"),
        pytest.param(
            "（市发改委牵头，市财政局等按职责分工负责）", ("市发改委",), ("市财政局",), id="牵头，按职责分工负责"
        ),
    ],
)
def test_inline_lead_and_support_units(bracket, lead, support):
    n = one(HEAD + f"一、支持企业扩产。对扩产企业给予奖励。{bracket}\n" + TWO.split("\n", 1)[1])
    assert n.clause(1).lead_units == lead
    assert n.clause(1).support_units == support


def test_heading_measures_hold_their_unnumbered_paragraphs():
    n = one(
        HEAD
        + "一、支持企业扩产\n"
        + "对年产值增长20%以上的企业，给予一次性奖励30万元。（责任单位：市发改委）\n"
        + "对新建生产线的企业，按设备投资额的10%给予补助。（责任单位：市工信局）\n"
        + "二、支持技术改造\n"
        + "对技改项目给予补助。（责任单位：市财政局）\n"
        + "本措施自印发之日起施行。\n"
    )
    first, second = n.clauses
    assert first.title == "支持企业扩产" and second.title == "支持技术改造"
    assert first.text.split("\n") == [
        "支持企业扩产",
        "对年产值增长20%以上的企业，给予一次性奖励30万元。（责任单位：市发改委）",
        "对新建生产线的企业，按设备投资额的10%给予补助。（责任单位：市工信局）",
    ]
    assert first.units == ("市发改委", "市工信局")
    assert first.sentences == (
        "对年产值增长20%以上的企业，给予一次性奖励30万元。",
        "对新建生产线的企业，按设备投资额的10%给予补助。",
    )
    assert "支持企业扩产" not in first.sentences
    assert n.closing == ("本措施自印发之日起施行。",)
    assert "施行" not in second.text


def test_numbered_items_stay_inside_their_sections_measure():
    n = one(
        HEAD
        + "一、支持企业扩产\n"
        + "1.扩大产能。对年产值增长20%以上的企业，给予一次性奖励30万元。\n"
        + "2.新建产线。对新建生产线的企业，按设备投资额的10%给予补助。（责任单位：市发改委）\n"
        + "二、支持技术改造\n"
        + "1﹒设备更新。对设备更新项目给予补助。\n"
        + "2﹒数字化改造。对数字化改造项目给予贴息。（责任单位：市财政局）\n"
        + "本措施自印发之日起施行。\n"
    )
    assert [c.number for c in n.clauses] == [1, 2]
    first, second = n.clauses
    assert "1.扩大产能。" in first.text and "2.新建产线。" in first.text
    assert "设备更新" not in first.text
    assert "1﹒设备更新。" in second.text and "2﹒数字化改造。" in second.text
    assert second.units == ("市财政局",)
    assert [c.label for c in n.clauses] == ["一、", "二、"]


ATTACHED = (
    HEAD
    + TWO
    + "本措施自印发之日起施行，有效期3年。\n"
    + "附件\n"
    + "某市某产业扶持资金管理办法\n"
    + "一、资金来源。专项资金由市财政预算安排。\n"
    + "二、支持对象。在本市注册的某产业企业。\n"
    + "三、申报程序。企业向市工信局提出申请。\n"
)


def test_attached_document_is_a_second_notice_with_its_parent():
    main, att = parse_file(ATTACHED, "made-up")
    assert main.doc_id == "made-up" and main.parent is None
    assert main.title == "某市促进某产业发展若干措施"
    assert [c.title for c in main.clauses] == ["支持企业扩产", "支持技术改造"]
    assert main.valid_until == date(2027, 2, 27)
    assert not any("附件" in p or "管理办法" in p for p in main.closing)
    assert att.doc_id == "made-up.att1" and att.parent == "made-up"
    assert att.title == "某市某产业扶持资金管理办法"
    assert [c.title for c in att.clauses] == ["资金来源", "支持对象", "申报程序"]
    assert att.doc_number == main.doc_number


def test_notice_with_its_own_measures_and_an_attachment():
    raw = (
        "某县政办发〔2024〕3号\n"
        "某县人民政府办公室关于加快某产业发展的通知\n"
        "各乡镇人民政府，县政府各部门：\n"
        "为加快某产业发展，现就有关事项通知如下：\n"
        "一、加大财政投入。县财政每年安排专项资金500万元。（责任单位：县财政局）\n"
        "二、强化金融支持。引导金融机构扩大信贷投放。（责任单位：县金融办）\n"
        "附件：某县某产业扶持资金管理办法\n"
        "某县人民政府办公室\n"
        "2024年5月6日\n"
        "附件\n"
        "某县某产业扶持资金管理办法\n"
        "一、资金来源。专项资金由县财政预算安排。\n"
        "二、支持对象。在本县注册的某产业企业。\n"
    )
    notices = parse_file(raw, "county")
    assert [n.doc_id for n in notices] == ["county", "county.att1"]
    main, att = notices
    assert [c.title for c in main.clauses] == ["加大财政投入", "强化金融支持"]
    assert att.parent == "county" and att.title == "某县某产业扶持资金管理办法"


def test_a_reverse_listing_quotes_what_a_headed_measure_opens_with_and_the_support_it_states():
    from assistant.answering.compose import Composer

    n = one(
        HEAD
        + "一、支持安全体系建设\n鼓励企业完善安全管理体系。支持企业开展分类分级工作，给予一次性奖补，最高100万元。"
        + "（责任单位：市工信局）\n二、支持人才培养\n每年培训1000名技术人才。（责任单位：市人社局）\n"
    )
    first, second = n.clauses
    assert Composer.unit_excerpt(first, "市工信局") == [
        "鼓励企业完善安全管理体系。",
        "支持企业开展分类分级工作，给予一次性奖补，最高100万元。",
    ]
    assert Composer.unit_excerpt(second, "市人社局") == ["每年培训1000名技术人才。"]
