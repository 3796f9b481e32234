"""The notice is parsed into a document record and ten clauses, page-break artefacts repaired."""

from __future__ import annotations

import shutil
from datetime import date

from assistant import CorpusError
from assistant.corpus import fix_brackets, load_notices, parse_notice
from assistant.textnorm import cn_to_int, int_to_cn

from .helpers import ROOT, SEED

SEED_SHA256 = "1cb060d1dc1767010030893bd2eeda3eec29eacb3307b400277613959038272f"  # the notice as published


def test_corpus_copy_is_unchanged():
    import hashlib

    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256
    original = ROOT.parent / "shared" / "seed" / SEED.name
    if original.exists():  # the seed folder sits beside the checkout on the development machines
        assert SEED.read_bytes() == original.read_bytes()


def test_document_metadata(notice):
    assert notice.doc_number == "市政办发〔2023〕31号"
    assert notice.office == "西安市人民政府办公厅"
    assert notice.title == "西安市促进工业高质量发展若干措施"
    assert notice.issued == date(2023, 12, 26)
    assert notice.valid_until == date(2026, 12, 31)
    assert notice.plan_unit == "市工信局"
    assert notice.preamble.startswith("坚持把发展的着力点放在实体经济上")
    assert "实施工业强市战略" in notice.preamble and notice.preamble.endswith("制定如下措施。")
    assert (
        notice.effective == "本措施自发布之日起执行，由市工信局会同相关部门制定具体实施方案，有效期至2026年12月31日。"
    )


EXPECTED = {
    1: ("强化工业用地保障", ["市资源规划局", "市工信局", "各区县政府", "西咸新区及各开发区管委会"]),
    2: ("加快园区规划建设", ["市工信局", "市资源规划局", "市投资局", "各区县政府", "西咸新区及各开发区管委会"]),
    3: (
        "降低工业用地成本",
        ["市财政局", "市资源规划局", "市住建局", "市工信局", "各区政府", "西咸新区及各开发区管委会"],
    ),
    4: (
        "实施工业精准招商",
        ["市投资局", "市工信局", "市发改委", "市资源规划局", "各区政府", "西咸新区及各开发区管委会"],
    ),
    5: (
        "加大项目扶持力度",
        ["市工信局", "市投资局", "市发改委", "市科技局", "市财政局", "各区政府", "西咸新区及各开发区管委会"],
    ),
    6: (
        "优化工业项目审批",
        [
            "市行政审批局",
            "市工信局",
            "市资源规划局",
            "市发改委",
            "市住建局",
            "市文物局",
            "市生态环境局",
            "各区县政府",
            "西咸新区及各开发区管委会",
        ],
    ),
    7: (
        "支持企业开拓市场",
        [
            "市工信局",
            "市商务局",
            "市发改委",
            "西安贸促会",
            "市财政局",
            "市国资委",
            "各区县政府",
            "西咸新区及各开发区管委会",
        ],
    ),
    8: ("推进企业技术创新", ["市工信局", "市科技局", "各区县政府", "西咸新区及各开发区管委会"]),
    9: (
        "金融服务实体经济",
        ["市财政局", "市工信局", "市科技局", "市国资委", "市金融工作局", "各区县政府", "西咸新区及各开发区管委会"],
    ),
    10: ("健全梯度培育体系", ["市工信局", "各区县政府", "西咸新区及各开发区管委会"]),
}


def test_ten_clauses_with_titles_and_units(notice):
    assert [c.number for c in notice.clauses] == list(range(1, 11))
    for c in notice.clauses:
        title, units = EXPECTED[c.number]
        assert c.title == title
        assert list(c.units) == units
        assert c.text.startswith(title + "。")
        assert c.text.endswith(f"（责任单位：{c.units_text}）")
        assert "\n" not in c.text


def test_page_break_inside_a_sentence_is_repaired(notice):
    c3 = notice.clause(3)
    assert c3.sentences[0] == "全市工业项目用地土地出让收入不纳入市级政策归集范围。"
    assert c3.text == (
        "降低工业用地成本。全市工业项目用地土地出让收入不纳入市级政策归集范围。全市土地出让收入中市级归集的收入重点支持区县、"
        "开发区的产业片区、园区供应工业项目用地等要素补助。工业用地项目享受城市基础设施配套费减免优惠政策。"
        "（责任单位：市财政局、市资源规划局、市住建局、市工信局等，各区政府、西咸新区及各开发区管委会）"
    )


def test_page_break_in_units_and_halfwidth_bracket_are_repaired(notice):
    c6 = notice.clause(6)
    assert c6.units[0] == "市行政审批局"
    assert c6.text.endswith("西咸新区及各开发区管委会）")
    assert ")" not in c6.text
    assert c6.units_text == (
        "市行政审批局、市工信局、市资源规划局、市发改委、市住建局、市文物局、市生态环境局等，"
        "各区县政府、西咸新区及各开发区管委会"
    )


def test_repairs_change_no_wording(notice):
    """Apart from the page breaks and the bracket, every clause is verbatim source text."""
    source = SEED.read_text(encoding="utf-8").replace("\n\n", "").replace("\n", "").replace(")", "）")
    for c in notice.clauses:
        assert f"{int_to_cn(c.number)}、{c.text}" in source


def test_sentences_are_the_body_after_the_title(notice):
    c1 = notice.clause(1)
    assert c1.sentences == (
        "全市国土空间总体规划中，确保工业用地占城镇建设用地面积比重不少于 20%。",
        "全市年度国有建设用地供应计划中，确保不低于 1/3 用于工业项目。",
        "限制规划工业区块线内的工业用地调整为居住、商业等其他经营性用地。",
        "根据城市市场功能变化，鼓励商业、住宅等其他用地改为工业用地，为工业发展留足空间。",
    )
    assert all("".join(c.sentences) == c.body.partition("。")[2] for c in notice.clauses)


ANOTHER = """

成都市人民政府办公厅文件

成办发〔2024〕7号

成都市人民政府办公厅 关于印发支持数字经济发展 若干政策的通知

各区（市）县政府：

《成都市支持数字经济发展若干政策》已经市政府同意，现印发给你们。

成都市人民政府办公厅
2024年3月5日

成都市支持数字经济发展若干政策

为加快数字经济发展，制定如下政策。

一、支持算力建设。对新建算力中心给予补助。（责任单位：市经信局、市发改委等）

二、培育数据要素市场。鼓励企业开展数据交易
。（责任单位：市数据局）

三、三号措施。内容三。（责任单位：市财政局）

四、四号措施。内容四。（责任单位：市财政局）

五、五号措施。内容五。（责任单位：市财政局）

六、六号措施。内容六。（责任单位：市财政局）

七、七号措施。内容七。（责任单位：市财政局）

八、八号措施。内容八。（责任单位：市财政局）

九、九号措施。内容九。（责任单位：市财政局）

十、十号措施。内容十。（责任单位：市财政局）

十一、强化人才支撑。引进数字经济领军人才。（责任单位：市人社局、市科技局）

十二、优化营商环境。推行“一网通办”。（责任单位：市政务服务

管理局、市司法局)

本政策自2024年4月1日起施行，由市经信局负责制定实施细则，有效期至2027年3月31日。

抄送：市委各部门。

成都市人民政府办公厅

2024年3月5日印发
"""


def test_parser_works_on_another_notice_of_the_same_style():
    n = parse_notice(ANOTHER, doc_id="chengdu")
    assert n.doc_number == "成办发〔2024〕7号"
    assert n.office == "成都市人民政府办公厅"
    assert n.title == "成都市支持数字经济发展若干政策"
    assert n.issued == date(2024, 3, 5)
    assert n.valid_until == date(2027, 3, 31)
    assert n.plan_unit == "市经信局"
    assert n.preamble == "为加快数字经济发展，制定如下政策。"
    assert [c.number for c in n.clauses] == list(range(1, 13))
    assert n.clause(11).title == "强化人才支撑"
    assert n.clause(11).units == ("市人社局", "市科技局")
    assert n.clause(12).units == ("市政务服务管理局", "市司法局")
    assert n.clause(12).text.endswith("（责任单位：市政务服务管理局、市司法局）")
    assert n.clause(1).units == ("市经信局", "市发改委")


def test_copies_list_going_on_in_the_next_paragraph_is_kept_whole():
    text = ANOTHER.replace(
        "抄送：市委各部门。", "抄送：市委各部门，市人大常委会办公厅。\n\n市监委，市法院，各人民团体。"
    )
    n = parse_notice(text, doc_id="chengdu")
    assert n.copies == "市委各部门，市人大常委会办公厅，市监委，市法院，各人民团体"
    assert n.office == "成都市人民政府办公厅"  # the office line after the list is not part of it


def test_numerals():
    assert [cn_to_int(s) for s in ["一", "十", "十一", "二十", "二十三", "５", "12"]] == [1, 10, 11, 20, 23, 5, 12]
    assert [int_to_cn(n) for n in [1, 10, 11, 20, 23]] == ["一", "十", "十一", "二十", "二十三"]
    assert cn_to_int("abc") is None


def test_fix_brackets_only_touches_mismatched_pairs():
    assert fix_brackets("（甲)") == "（甲）"
    assert fix_brackets("(a)（乙）") == "(a)（乙）"


def test_load_notices_reads_every_text_file(tmp_path):
    shutil.copy(SEED, tmp_path / SEED.name)
    (tmp_path / "chengdu.txt").write_text(ANOTHER, encoding="utf-8")
    notices = load_notices(tmp_path)
    assert [n.doc_id for n in notices] == ["chengdu", SEED.stem]


def test_a_file_without_clauses_is_a_clear_error(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="no numbered measures"):
        parse_notice("只是一段文字。", doc_id="empty")
    with pytest.raises(CorpusError, match="no notices"):
        load_notices(tmp_path)
