"""Several notices at once: which notice a question is about, and what the answer then says.

One module-scoped Assistant over a temp corpus of five notices — the seed (with its vocabulary folder)
and the three real notices from REAL_NOTICES (the Anhui file yields a policy and its attached plan) —
plus a tiny made-up pair of notices where the newer one repeals the older one.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date

import pytest
from click.testing import CliRunner

from assistant.assistant import Assistant
from assistant.cli import main
from assistant.settings import Settings

from .helpers import REAL_NOTICES, SEED

pytestmark = pytest.mark.skipif(
    not REAL_NOTICES.exists(), reason=f"{REAL_NOTICES} missing (the real notices sit beside the checkout)"
)

REAL = ("guofa-2018-38.txt", "guobanfa-2018-117.txt", "anhui-iiot-2021.txt")
XIAN, GUOFA, GUOBANFA, ANHUI, PLAN = (
    SEED.stem,
    "guofa-2018-38",
    "guobanfa-2018-117",
    "anhui-iiot-2021",
    "anhui-iiot-2021.att1",
)
NUMBER = {
    XIAN: "市政办发〔2023〕31号",
    GUOFA: "国发〔2018〕38号",
    GUOBANFA: "国办发〔2018〕117号",
    ANHUI: "皖政办秘〔2021〕82号",
    PLAN: "皖政办秘〔2021〕82号",
}
MEASURES = {XIAN: 10, GUOFA: 53, GUOBANFA: 30, ANHUI: 8, PLAN: 4}
TODAY = date(2026, 12, 1)  # the seed is in force (有效期至2026年12月31日)
LATER = date(2027, 1, 15)  # the seed has expired


# --- fixtures ----------------------------------------------------------------------------------------
@dataclass
class Library:
    corpus: str
    index: str


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> Library:
    corpus = tmp_path_factory.mktemp("library-corpus")
    shutil.copy(SEED, corpus / SEED.name)
    shutil.copytree(SEED.with_suffix(".vocab"), corpus / f"{SEED.stem}.vocab")
    for name in REAL:
        shutil.copy(REAL_NOTICES / name, corpus / name)  # a temp copy, never into the repo
    return Library(str(corpus), str(tmp_path_factory.mktemp("library-index")))


@pytest.fixture(scope="module")
def lib(dirs) -> Assistant:
    """The one build of the five-notice index in this module."""
    return Assistant(Settings().with_(corpus_dir=dirs.corpus, index_dir=dirs.index, today=TODAY))


@pytest.fixture(scope="module")
def expired(lib) -> Assistant:
    """The same corpus and index, judged after the seed's 2026-12-31 expiry (opened, not rebuilt)."""
    a = Assistant(lib.settings.with_(today=LATER))
    assert not a.index_change.any
    return a


OLD = """某市人民政府
某政发〔2020〕1号
某市人民政府关于印发某市促进花卉产业发展若干措施的通知
各区县人民政府，市政府各部门：
《某市促进花卉产业发展若干措施》已经市政府同意，现印发给你们，请认真贯彻落实。
某市人民政府
2020年3月2日
某市促进花卉产业发展若干措施
为促进花卉产业发展，制定如下措施。
一、支持花卉种植基地建设。对新建花卉种植基地给予每亩500元补助。（责任单位：市农业农村局）
二、支持花卉电商销售。对花卉电商企业给予物流费用补贴。（责任单位：市商务局）
本措施自印发之日起施行。
"""
NEW = """某市人民政府
某政发〔2024〕5号
某市人民政府关于印发某市促进花卉产业高质量发展若干措施的通知
各区县人民政府，市政府各部门：
《某市促进花卉产业高质量发展若干措施》已经市政府同意，现印发给你们，请认真贯彻落实。
某市人民政府
2024年5月6日
某市促进花卉产业高质量发展若干措施
为推动花卉产业高质量发展，制定如下措施。
一、支持花卉品种研发。对自主培育花卉新品种的企业给予一次性奖励10万元。（责任单位：市科技局）
二、支持花卉电商直播。对开展花卉电商直播销售的企业给予直播场地费用补贴。（责任单位：市商务局）
自本通知印发之日起，《某市促进花卉产业发展若干措施》（某政发〔2020〕1号）同时废止。
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory, lib) -> Assistant:
    """Two made-up notices: flowers-new (某政发〔2024〕5号) repeals flowers-old (某政发〔2020〕1号)."""
    corpus = tmp_path_factory.mktemp("pair-corpus")
    (corpus / "flowers-old.txt").write_text(OLD, encoding="utf-8")
    (corpus / "flowers-new.txt").write_text(NEW, encoding="utf-8")
    index = tmp_path_factory.mktemp("pair-index")
    shutil.copytree(lib.settings.index_dir / "cache", index / "cache")  # the unpacked embedder: no second unpacking
    return Assistant(Settings().with_(corpus_dir=corpus, index_dir=index, today=TODAY))


def cli(dirs: Library, *args: str, today: date = TODAY):
    env = {"POLICY_CORPUS_DIR": dirs.corpus, "POLICY_INDEX_DIR": dirs.index, "POLICY_TODAY": today.isoformat()}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def docs(answer) -> list[str]:
    return [c.doc_id for c in answer.citations]


def turn(question: str, answer) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


CANDIDATE = re.compile(r"^\d+\. 《(.+)》（(.+?)） — (.+)$", re.M)


def candidates(text: str) -> dict[str, list[str]]:
    """The notices a which-notice clarification lists: 文号 → the statuses listed with it."""
    out: dict[str, list[str]] = {}
    for _title, number, status in CANDIDATE.findall(text):
        out.setdefault(number, []).append(status)
    return out


# --- the corpus ----------------------------------------------------------------------------------------
def test_the_corpus_holds_five_notices(lib):
    assert sorted(n.doc_id for n in lib.notices) == sorted(NUMBER)
    assert {n.doc_id: n.doc_number for n in lib.notices} == NUMBER


# --- which notice: by 文号, by title words or issuer, by the conversation, by topic --------------------------
@pytest.mark.parametrize("number", ["国发〔2018〕38号", "国发[2018]38号", "国发38号", "国发（2018）38号"])
def test_a_clause_asked_with_the_notices_number_in_any_bracket_form_comes_from_it(lib, number):
    a = lib.ask(f"{number}第三条说了什么？")
    assert not a.refused
    assert [(c.doc_id, c.clause) for c in a.citations] == [(GUOFA, 3)]
    assert "工程审批类权限下放至自贸试验区" in a.text
    assert "降低工业用地成本" not in a.text  # not the seed's 第三条


@pytest.mark.parametrize("number", ["国发〔2018〕38号", "国发[2018]38号", "国发38号"])
def test_a_topical_question_naming_a_number_is_answered_from_that_notice_alone(lib, number):
    assert docs(lib.ask("人才培养有什么支持？"))[0] == XIAN  # unnamed: the seed's 人才培养体系
    a = lib.ask(f"{number}人才培养有什么支持？")
    assert a.citations and set(docs(a)) == {GUOFA}
    assert "人才" in a.text


@pytest.mark.parametrize("number", ["国发〔2018〕38号", "国发[2018]38号", "国发38号"])
def test_a_document_question_naming_a_number_is_answered_for_that_notice(lib, number):
    a = lib.ask(f"{number}有多少条措施？")
    assert docs(a) == [GUOFA]
    assert "共53条" in a.text


@pytest.mark.parametrize(
    ("question", "doc", "says"),
    [
        ("安徽工业互联网的政策里人才培养有什么支持？", ANHUI, "工业互联网"),
        ("安徽工业互联网那个文件的文号是多少？", ANHUI, "文号：皖政办秘〔2021〕82号"),
        ("国务院关于自贸区的通知文号是多少？", GUOFA, "文号：国发〔2018〕38号"),
        ("国务院自贸区的措施里关于商标受理窗口怎么说？", GUOFA, "支持在自贸试验区设置商标受理窗口"),
        ("西安工业的文件有效期到什么时候？", XIAN, "有效期至2026年12月31日"),
        ("西安的工业措施对工业用地有什么要求？", XIAN, "工业用地"),
        ("When did the Anhui provincial government general office issue this notice?", ANHUI, "2021"),
        ("What is the document number of the State Council notice?", GUOFA, "国发〔2018〕38号"),
    ],
)
def test_a_notice_is_named_by_its_title_words_issuer_or_region(lib, question, doc, says):
    a = lib.ask(question)
    assert not a.refused
    assert a.citations and set(docs(a)) == {doc}, a.text
    assert says in a.text


def test_a_follow_up_is_about_the_notice_the_previous_answer_cited(lib):
    first = lib.ask("自贸试验区的商标受理窗口怎么设置？")
    assert [(c.doc_id, c.clause) for c in first.citations] == [(GUOFA, 13)]
    a = lib.ask("这条找哪个部门？", turn("自贸试验区的商标受理窗口怎么设置？", first))
    assert [(c.doc_id, c.clause) for c in a.citations] == [(GUOFA, 13)]
    assert "知识产权局" in a.text
    assert "【国发〔2018〕38号 第十三条 支持在自贸试验区设置商标受理窗口】" in a.text


@pytest.mark.parametrize(
    ("question", "doc", "clause", "says"),
    [
        ("汽车平行进口试点有什么规定？", GUOFA, 19, "汽车平行进口试点"),
        ("银企对接会是哪条？", XIAN, 9, "组织银企对接会"),
        ("工业互联网平台有什么奖补？", ANHUI, 1, "最高3000万元"),
        ("企业债券直通车机制是怎么规定的？", GUOBANFA, 3, "直通车"),
    ],
)
def test_a_topic_only_one_notice_covers_is_found_among_all_of_them(lib, question, doc, clause, says):
    a = lib.ask(question)
    assert not a.refused
    assert (a.citations[0].doc_id, a.citations[0].clause) == (doc, clause)
    assert says in a.text
    assert f"根据《{lib.notice(doc).title}》（{NUMBER[doc]}）" in a.text


# --- no notice named: ask, never guess ------------------------------------------------------------------
@pytest.mark.parametrize("question", ["这个文件的文号是多少？", "这个政策还有效吗？", "有多少条措施？"])
def test_a_document_question_naming_no_notice_asks_which_one(lib, question):
    a = lib.ask(question)
    assert not a.refused
    assert a.citations == []  # no silent guess
    assert "哪一份通知" in a.text
    listed = candidates(a.text)
    assert set(listed) == set(NUMBER.values())
    assert listed[NUMBER[XIAN]] == ["有效期至2026年12月31日"]
    assert listed[NUMBER[GUOFA]] == ["未写明有效期"]
    assert len(CANDIDATE.findall(a.text)) == 5  # the policy and the plan of the Anhui file both listed
    assert "文号：" not in a.text


def test_a_bare_clause_number_asks_which_notice_until_a_turn_names_one(lib):
    bare = lib.ask("第三条说了什么？")
    assert bare.citations == []
    assert "哪一份通知" in bare.text
    assert set(candidates(bare.text)) == set(NUMBER.values())

    about_guofa = lib.ask("自贸试验区的商标受理窗口怎么设置？")
    a = lib.ask("第三条说了什么？", turn("自贸试验区的商标受理窗口怎么设置？", about_guofa))
    assert [(c.doc_id, c.clause) for c in a.citations] == [(GUOFA, 3)]
    assert "工程审批类权限下放至自贸试验区" in a.text

    about_seed = lib.ask("银企对接会是哪条？")
    a = lib.ask("第三条说了什么？", turn("银企对接会是哪条？", about_seed))
    assert [(c.doc_id, c.clause) for c in a.citations] == [(XIAN, 3)]
    assert "降低工业用地成本" in a.text


@pytest.mark.parametrize("question", ["国发〔2018〕38号还有效吗？", "国发〔2018〕38号什么时候印发的？"])
def test_a_validity_or_date_question_naming_a_number_is_answered_for_that_notice(lib, question):
    a = lib.ask(question)
    assert NUMBER[ANHUI] not in a.text  # not another notice's list of measures
    assert "未写明有效期" in a.text or "2018年11月7日" in a.text


def test_a_validity_question_naming_the_only_notices_number_is_answered(assistant):
    a = assistant.ask("市政办发〔2023〕31号还有效吗？")
    assert "有效期至2026年12月31日" in a.text
    assert all(c.clause is None for c in a.citations)  # the document's validity, not a measure


@pytest.mark.parametrize("question", ["什么时候印发的？", "这条找哪个部门？"])
def test_a_vague_question_naming_no_notice_does_not_guess_the_first_notice(lib, question):
    a = lib.ask(question)
    assert a.citations == []
    assert set(candidates(a.text)) == set(NUMBER.values()), a.text


# --- reverse lookup ------------------------------------------------------------------------------------------
def test_a_reverse_lookup_spans_the_notices_and_groups_them_by_notice(lib):
    a = lib.ask("商务部负责哪些措施？")
    cited = {(c.doc_id, c.clause) for c in a.citations}
    assert {(GUOBANFA, 2), (GUOFA, 19)} <= cited  # （商务部负责） / （负责部门：商务部）
    assert {c.doc_id for c in a.citations} == {GUOBANFA, GUOFA}
    assert all("商务部" in c.units for c in a.citations)
    m = re.match(r"商务部是以下(\d+)条措施的责任单位：", a.text)
    assert m and int(m[1]) == len(a.citations)
    # each notice's heading once, and every numbered measure under the heading of its own notice
    headings = re.findall(r"^《(.+)》（(.+)）：$", a.text, re.M)
    assert [number for _, number in headings] == [NUMBER[GUOBANFA], NUMBER[GUOFA]]
    current = None
    items = 0
    for line in a.text.splitlines():
        if h := re.match(r"^《.+》（(.+)）：$", line):
            current = h[1]
        elif re.match(r"^\d+\. 【", line):
            items += 1
            assert line.split("【", 1)[1].startswith(f"{current} 第"), line
    assert items == len(a.citations)


# --- validity, per notice ------------------------------------------------------------------------------------
def test_validity_is_per_notice(lib):
    seed = lib.ask("西安工业的文件有效期到什么时候？")
    assert "有效期至2026年12月31日" in seed.text and "仍在有效期内" in seed.text
    assert "⚠️" not in seed.text
    guofa = lib.ask("国务院关于自贸区的通知还有效吗？")
    assert "未写明有效期" in guofa.text
    assert "2026年12月31日" not in guofa.text
    assert NUMBER[GUOFA] in guofa.text


def test_after_the_seed_expires_only_answers_citing_it_carry_the_warning(lib, expired):
    assert "⚠️" not in lib.ask("银企对接会是哪条？").text  # before 2026-12-31: no warning
    seed = expired.ask("银企对接会是哪条？")
    assert docs(seed) == [XIAN]
    assert seed.text.startswith("⚠️")
    assert "有效期至2026年12月31日，截至今天（2027年1月15日）已失效" in seed.text
    guofa = expired.ask("自贸试验区的商标受理窗口怎么设置？")
    assert docs(guofa) == [GUOFA]
    assert "⚠️" not in guofa.text and "已失效" not in guofa.text
    listed = candidates(expired.ask("这个文件的文号是多少？").text)
    assert listed[NUMBER[XIAN]] == ["已失效（有效期至2026年12月31日）"]
    assert listed[NUMBER[GUOFA]] == ["未写明有效期"]


def test_a_notice_repealed_by_another_in_the_corpus_carries_the_repealed_warning(pair):
    old = pair.ask("花卉种植基地有什么补助？")
    assert docs(old) == ["flowers-old"]
    assert old.text.startswith("⚠️")
    assert (
        "《某市促进花卉产业发展若干措施》（某政发〔2020〕1号）已被《某市促进花卉产业高质量发展若干措施》"
        "（某政发〔2024〕5号）废止" in old.text
    )
    assert "每亩500元" in old.text  # still quoted, for reference
    new = pair.ask("花卉新品种研发有什么奖励？")
    assert docs(new) == ["flowers-new"]
    assert "⚠️" not in new.text and "废止" not in new.text
    listed = candidates(pair.ask("这个文件的文号是多少？").text)
    assert listed == {"某政发〔2020〕1号": ["已废止"], "某政发〔2024〕5号": ["未写明有效期"]}


def test_a_reverse_answer_listing_a_repealed_notices_measure_warns_about_it(pair):
    a = pair.ask("市商务局负责哪些措施？")
    assert {c.doc_id for c in a.citations} == {"flowers-new", "flowers-old"}
    assert "废止" in a.text


def test_what_a_notice_repeals_is_said_once(lib):
    a = lib.ask("国办发〔2018〕117号废止了哪个文件？")
    assert docs(a) == [GUOBANFA]
    assert "国办发〔2016〕82号" in a.text
    assert a.text.count("> 自本通知印发之日起") == 1, a.text


# --- citations -----------------------------------------------------------------------------------------------
def test_citations_carry_doc_id_and_label_and_the_tag_names_the_notice(lib):
    a = lib.ask("自贸试验区的商标受理窗口怎么设置？")
    [c] = a.citations
    assert (c.doc_id, c.label, c.clause, c.doc_number) == (GUOFA, "一、（十三）", 13, NUMBER[GUOFA])
    assert "【国发〔2018〕38号 第十三条 支持在自贸试验区设置商标受理窗口】" in a.text
    assert "【第十三条" not in a.text and "】（国发〔2018〕38号）" not in a.text
    seed = lib.ask("银企对接会是哪条？")
    [c] = seed.citations
    assert (c.doc_id, c.label, c.clause) == (XIAN, "九、", 9)
    assert "【市政办发〔2023〕31号 第九条 金融服务实体经济】" in seed.text
    plan = lib.ask("皖政办秘〔2021〕82号的行动计划有多少条？")
    assert docs(plan) == [PLAN] and "共4条" in plan.text  # the attached plan is its own notice


def test_a_single_notice_keeps_the_tag_with_the_number_after_it(assistant):
    a = assistant.ask("银企对接会是哪条？")
    [c] = a.citations
    assert (c.doc_id, c.label, c.clause) == (XIAN, "九、", 9)
    assert "【第九条 金融服务实体经济】（市政办发〔2023〕31号）" in a.text
    assert "【市政办发〔2023〕31号 第九条" not in a.text


# --- the command line ----------------------------------------------------------------------------------------
def test_ask_doc_restricts_the_answer_to_that_notice(lib, dirs):
    assert docs(lib.ask("人才培养有什么支持？"))[0] == XIAN  # without --doc
    r = cli(dirs, "ask", "--json", "--doc", GUOFA, "人才培养有什么支持？")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["citations"] and {c["doc_id"] for c in out["citations"]} == {GUOFA}
    assert {c["doc_number"] for c in out["citations"]} == {NUMBER[GUOFA]}

    r = cli(dirs, "ask", "--doc", "国发[2018]38号", "这个文件的文号是多少？")  # by 文号, any brackets
    assert r.exit_code == 0, r.output
    assert "文号：国发〔2018〕38号" in r.stdout
    assert "哪一份通知" not in r.stdout


def test_ask_doc_of_an_unknown_notice_is_an_unknown_doc_error(lib, dirs):
    r = cli(dirs, "ask", "--json", "--doc", "国发〔2099〕1号", "第三条说了什么？")
    assert r.exit_code == 2
    out = json.loads(r.stdout)
    assert out["code"] == "unknown_doc"
    assert "answer" not in out


def test_the_notices_command_lists_every_notice(lib, dirs):
    r = cli(dirs, "notices")
    assert r.exit_code == 0, r.output
    rows = {line.split("\t")[0]: line.split("\t") for line in r.stdout.splitlines() if line.strip()}
    assert set(rows) == set(NUMBER)
    for doc_id, row in rows.items():
        _, number, title, _issued, _until, status, measures = row
        assert number == NUMBER[doc_id]
        assert title == f"《{lib.notice(doc_id).title}》"
        assert measures == f"{MEASURES[doc_id]} 条"
        assert status == ("有效期至2026年12月31日" if doc_id == XIAN else "未写明有效期")
    assert rows[GUOFA][2] == "《国务院关于支持自由贸易试验区深化改革创新若干措施的通知》"

    later = cli(dirs, "notices", "--json", today=LATER)
    assert later.exit_code == 0, later.output
    by_id = {row["doc_id"]: row for row in map(json.loads, later.stdout.splitlines())}
    assert by_id[XIAN]["status"] == "已失效（有效期至2026年12月31日）"
    assert by_id[XIAN]["valid_until"] == "2026-12-31"
    assert by_id[GUOFA]["status"] == "未写明有效期" and by_id[GUOFA]["measures"] == 53
    assert by_id[PLAN]["parent"] == ANHUI


# --- a notice and its attachment told apart; a notice named in English ------------------------------
def test_the_kind_of_document_names_one_of_a_family(lib):
    a = lib.ask("若干政策里，省通信管理局负责的是哪几条？")
    assert a.kind == "reverse" and set(docs(a)) == {ANHUI}
    b = lib.ask("这个行动计划管的是哪几年？")
    assert b.kind == "meta" and docs(b) == [PLAN]
    assert "2021-2023年" in b.text  # the years its title names, since it states no expiry date


def test_a_place_the_named_notice_talks_about_is_no_other_government(lib):
    a = lib.ask("Does the action plan say anything about cooperation with Shanghai and Zhejiang?")
    assert not a.refused and docs(a) and set(docs(a)) <= {PLAN}


def test_an_english_question_naming_a_chinese_unit_is_answered_in_english(lib):
    a = lib.ask("In the 若干政策, which sections list 安徽银保监局 as a responsible unit?")
    assert a.kind == "reverse" and a.lang == "en"
    assert "安徽银保监局 is a responsible unit" in a.text
    assert [(c.doc_id, c.clause) for c in a.citations] == [(ANHUI, 8)]


def test_where_a_carried_measure_applies_comes_from_its_units_bracket(lib):
    q0 = "国发38号里西安机场第五航权是怎么支持的？"
    first = lib.ask(q0)
    assert docs(first)[:1] == [GUOFA]
    a = lib.ask("那这个是所有自贸区都适用吗", turn(q0, first))
    assert a.citations[0].clause == first.citations[0].clause
    assert "适用范围：陕西自贸试验区" in a.text


def test_words_a_notice_shares_with_its_attachment_search_both(lib):
    a = lib.ask("安徽工业互联网那边，以后各市的考核要把什么纳进去？")
    assert (a.citations[0].doc_id, a.citations[0].clause) == (PLAN, 4)
    assert "纳入各市政府考核" in a.text


def test_a_date_the_caller_read_in_the_notice_is_not_taken_for_its_expiry(lib):
    q0 = "国办发117号是哪天印发的？"
    a = lib.ask("它的有效期到什么时候？里面写的2018年12月31日是截止日期吗", turn(q0, lib.ask(q0)))
    assert not a.refused
    assert "「2018年12月31日」不是有效期" in a.text and "2018年12月31日前报送" in a.text
    assert "有效期至2018年12月31日" not in a.text


def test_a_rule_stated_after_the_measures_is_quoted_from_there(lib):
    a = lib.ask("国办发117号里，各部门每年什么时候要报送拟予督查激励的地方名单？")
    assert a.citations[0].clause is None and a.citations[0].doc_id == GUOBANFA
    assert "每年2月底前" in a.text


def test_a_count_asked_for_is_quoted_from_the_close_second_that_states_it(lib):
    # the policy's measure on 二级节点 states money only; the plan's, ranked close behind, the count
    a = lib.ask("安徽工业互联网这块，全省打算建几个标识解析二级节点？")
    assert (a.citations[0].doc_id, a.citations[0].clause) == (PLAN, 2)
    assert "10个二级节点" in a.text and "未规定具体数量" not in a.text
