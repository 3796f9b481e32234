"""Notice files in every supported format read to the same text and parse to the same notice; a file that
cannot be read gives a CorpusError that names it. Every file is made inside the test (tmp_path)."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest

from assistant.corpus import corpus_files, load_notices, parse_file, read
from assistant.corpus.readers import CELL_GAP
from assistant.errors import CorpusError

from .helpers import BROWSER_ARGS, CHROMIUM

# --- a small, made-up notice ---------------------------------------------------------------------
DOC_NUMBER = "某市政办发〔2024〕7号"
NOTICE_TITLE = "某市人民政府办公室关于印发某市支持某产业发展若干措施的通知"
TITLE = "某市支持某产业发展若干措施"
OFFICE = "某市人民政府办公室"
PREAMBLE = "为加快某产业集聚发展，结合本市实际，制定如下措施。"
MEASURES = [  # (title, body, units)
    ("加大资金支持", "对新落户的某产业企业，按其实际投资额的5%给予一次性奖励，最高200万元。", ("市财政局", "市工信局")),
    (
        "强化用地保障",
        "优先保障某产业重点项目用地，工业用地出让起始价可按所在地土地等级对应标准的70%确定。",
        ("市自然资源局",),
    ),
    ("优化人才服务", "对企业引进的高层次人才，给予每月2000元的生活补贴，补贴期限不超过3年。", ("市人社局", "市住建局")),
]
CLOSING = "本措施自印发之日起施行，有效期3年。"
NAV_WORDS = ("栏目导航", "门户网站", "首页", "政务公开", "网站地图", "主办单位", "备案号", "脚本", "统计代码", "搜索")


def notice_lines() -> list[str]:
    lines = [
        DOC_NUMBER,
        NOTICE_TITLE,
        "各县（区）人民政府，市政府各部门，各直属机构：",
        f"《{TITLE}》已经市政府同意，现印发给你们，请认真贯彻落实。",
        OFFICE,
        "2024年3月1日",
        TITLE,
        PREAMBLE,
    ]
    for label, (title, body, units) in zip("一二三", MEASURES, strict=True):
        lines.append(f"{label}、{title}。{body}（责任单位：{'、'.join(units)}）")
    lines.append(CLOSING)
    return lines


def notice_text(newline: str = "\n") -> str:
    return newline.join(notice_lines()) + newline


def original():
    [n] = parse_file(notice_text(), "notice")
    return n


def assert_same_notice(n, ref=None):
    """What a user sees of the notice: its 文号, title, dates and every measure's text and units."""
    ref = ref or original()
    assert n.doc_number == ref.doc_number == DOC_NUMBER
    assert n.title == ref.title == TITLE
    assert n.notice_title == ref.notice_title == NOTICE_TITLE
    assert n.office == OFFICE
    assert n.issued == date(2024, 3, 1)
    assert n.valid_until == ref.valid_until == date(2027, 2, 28)
    assert n.preamble == PREAMBLE
    assert [c.number for c in n.clauses] == [1, 2, 3]
    assert [c.text for c in n.clauses] == [c.text for c in ref.clauses]
    assert [c.title for c in n.clauses] == [m[0] for m in MEASURES]
    assert [c.units for c in n.clauses] == [m[2] for m in MEASURES]


def test_the_made_up_notice_parses_as_written():
    n = original()
    assert_same_notice(n, n)
    for c, (title, body, units) in zip(n.clauses, MEASURES, strict=True):
        assert c.text == f"{title}。{body}（责任单位：{'、'.join(units)}）"
        assert c.sentences == (body,)
    assert n.closing == (CLOSING,)


# --- .txt ------------------------------------------------------------------------------------------
TXT_VARIANTS = {
    "utf-8": lambda: notice_text().encode("utf-8"),
    "utf-8 with BOM": lambda: b"\xef\xbb\xbf" + notice_text().encode("utf-8"),
    "gb18030": lambda: notice_text().encode("gb18030"),
    "gbk": lambda: notice_text().encode("gbk"),
    "CRLF": lambda: notice_text("\r\n").encode("utf-8"),
    "lone CR": lambda: notice_text("\r").encode("utf-8"),
    "GBK with CRLF": lambda: notice_text("\r\n").encode("gbk"),
}


@pytest.mark.parametrize("variant", list(TXT_VARIANTS))
def test_txt_encodings_and_line_ends_read_to_the_same_notice(tmp_path, variant):
    data = TXT_VARIANTS[variant]()
    assert data != notice_text().encode("utf-8") or variant == "utf-8"
    path = tmp_path / "notice.txt"
    path.write_bytes(data)
    text = read(path)
    assert text == notice_text()  # \n line ends, no BOM, the same characters
    [n] = parse_file(text, path.stem)
    assert_same_notice(n)


def test_txt_line_ends_need_no_reader_when_parsing_a_string():
    for newline in ("\r\n", "\r"):
        [n] = parse_file(notice_text(newline), "notice")
        assert_same_notice(n)


def test_undecodable_txt_names_the_file_and_the_encodings_tried(tmp_path):
    junk = b"\xff\xfe\x00\x81" * 8 + b"\x80\xff"
    for enc in ("utf-8", "gb18030", "big5"):  # the bytes really are invalid in every encoding the reader tries
        with pytest.raises(UnicodeDecodeError):
            junk.decode(enc)
    path = tmp_path / "garbled-notice.txt"
    path.write_bytes(junk)
    with pytest.raises(CorpusError) as exc:
        read(path)
    message = str(exc.value)
    assert "garbled-notice.txt" in message
    assert all(enc in message for enc in ("utf-8", "gb18030", "big5"))
    assert exc.value.code == "encoding"


def test_undecodable_txt_in_a_corpus_folder_stops_loading_with_the_same_error(tmp_path):
    (tmp_path / "a-good.txt").write_text(notice_text(), encoding="utf-8")
    (tmp_path / "b-bad.txt").write_bytes(b"\xff\xfe\x00\x81\x80\xff")
    with pytest.raises(CorpusError) as exc:
        load_notices(tmp_path)
    assert "b-bad.txt" in str(exc.value) and exc.value.code == "encoding"


def test_unsupported_suffix_is_a_format_error_naming_the_file(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(notice_text(), encoding="utf-8")
    with pytest.raises(CorpusError) as exc:
        read(path)
    assert "notes.md" in str(exc.value) and ".md" in str(exc.value)
    assert exc.value.code == "format"


# --- .docx -----------------------------------------------------------------------------------------
def make_docx(path: Path, lines: list[str]) -> Path:
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for ln in lines:
        d.add_paragraph(ln)
    d.save(str(path))
    return path


def test_docx_reads_to_the_same_notice(tmp_path):
    path = make_docx(tmp_path / "notice.docx", notice_lines())
    text = read(path)
    assert text == notice_text().rstrip("\n")
    [n] = parse_file(text, path.stem)
    assert_same_notice(n)


def test_docx_with_indented_paragraphs_and_empty_lines_reads_to_the_same_notice(tmp_path):
    lines = []
    for ln in notice_lines():  # as typed in Word: two full-width spaces of indent, a blank line between
        lines += ["\u3000\u3000" + ln, ""]
    [n] = parse_file(read(make_docx(tmp_path / "notice.docx", lines)), "notice")
    assert_same_notice(n)


TABLE_ROWS = [("人才类别", "每月补贴"), ("甲类人才", "5000元")]


def docx_with_table(path: Path, before: str, after: str | None) -> Path:
    """The small notice with its third measure holding a table: `before` it, the table, `after` it."""
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for ln in notice_lines()[:-2]:
        d.add_paragraph(ln)
    d.add_paragraph(before)
    table = d.add_table(rows=len(TABLE_ROWS), cols=2)
    for r, row in enumerate(TABLE_ROWS):
        for k, value in enumerate(row):
            table.cell(r, k).text = value
    if after:
        d.add_paragraph(after)
    d.add_paragraph(CLOSING)
    d.save(str(path))
    return path


def test_docx_table_stays_in_the_measure_it_belongs_to(tmp_path):
    path = docx_with_table(
        tmp_path / "with-table.docx",
        "三、优化人才服务。对企业引进的高层次人才，按下表给予生活补贴：",
        "补贴期限不超过3年。（责任单位：市人社局、市住建局）",
    )
    text = read(path)
    lines = text.split("\n")
    assert (
        lines.index("甲类人才" + CELL_GAP + "5000元") == lines.index("人才类别" + CELL_GAP + "每月补贴") + 1
    )  # rows in document order
    assert lines.index("人才类别" + CELL_GAP + "每月补贴") < lines.index(CLOSING)
    [n] = parse_file(text, path.stem)
    third = n.clause(3)
    assert "甲类人才" + CELL_GAP + "5000元" in third.text
    assert third.units == ("市人社局", "市住建局")
    assert n.closing == (CLOSING,)
    assert n.effective == CLOSING


def test_docx_table_rows_are_not_glued_to_the_text_around_them(tmp_path):
    inside = docx_with_table(
        tmp_path / "inside.docx",
        "三、优化人才服务。对企业引进的高层次人才，按下表给予生活补贴：",
        "补贴期限不超过3年。（责任单位：市人社局、市住建局）",
    )
    [n] = parse_file(read(inside), inside.stem)
    assert "甲类人才" + CELL_GAP + "5000元" in n.clause(3).text.split("\n")
    assert "补贴期限不超过3年。" in n.clause(3).sentences
    last = docx_with_table(
        tmp_path / "last.docx",
        "三、优化人才服务。对企业引进的高层次人才，按下表给予生活补贴。（责任单位：市人社局、市住建局）",
        None,
    )
    [n] = parse_file(read(last), last.stem)
    assert n.effective == CLOSING
    assert n.valid_until == date(2027, 2, 28)


def test_damaged_docx_is_an_unreadable_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(CorpusError) as exc:
        read(path)
    assert "broken.docx" in str(exc.value) and exc.value.code == "unreadable"


# --- .html -----------------------------------------------------------------------------------------
def gov_page(menu: list[str], footer_links: list[str], top_links: tuple[str, ...] = ()) -> str:
    """A page as saved from a government site: scripts, a header menu, a breadcrumb <nav>, a metadata table,
    the article in div.pages_content#UCAP-CONTENT, a share bar and a footer."""
    paragraphs = "\n".join(f'<p style="text-indent: 2em;">{html.escape(ln)}</p>' for ln in notice_lines())
    items = "".join(f'<li><a href="/c/{i}.html">{m}</a></li>' for i, m in enumerate(menu))
    feet = "".join(f'<li><a href="/f/{i}.html">{m}</a></li>' for i, m in enumerate(footer_links))
    top = " ".join(f'<a href="#">{t}</a>' for t in top_links)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{TITLE}_某市人民政府门户网站</title>
<script type="text/javascript">var siteName = "门户网站脚本"; document.write("脚本输出");</script>
<style>.menu li {{ float: left; }}</style></head>
<body>
<div class="top-bar">{top}</div>
<div class="header"><div class="logo">某市人民政府门户网站</div><ul class="menu">{items}</ul>
<div class="search"><input type="text" value="请输入关键词"><button>搜索</button></div></div>
<nav class="crumbs"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 栏目导航</nav>
<div class="main">
<table class="info"><tr><td>索引号：000000000/2024-00007</td><td>发布机构：{OFFICE}</td></tr>
<tr><td>成文日期：2024年3月1日</td><td>主题分类：工业</td></tr></table>
<div class="pages_content" id="UCAP-CONTENT">
{paragraphs}
</div>
<div class="share">【字体：大 中 小】 打印本页 关闭窗口</div>
</div>
<footer><ul>{feet}</ul><p>主办单位：{OFFICE} 网站标识码0000000001 备案号：某ICP备00000000号</p></footer>
<script>_trackPageView("统计代码");</script>
</body></html>"""


MENU = ["首页", "政务公开", "政务服务", "互动交流", "走进某市", "栏目导航"]
BIG_MENU = [  # a second menu level, as large government portals have
    "政策文件",
    "政府信息公开指南",
    "政府信息公开制度",
    "法定主动公开内容",
    "政府信息公开年报",
    "市政府常务会议",
    "政策解读",
    "规划计划",
    "财政资金",
    "重点领域信息公开",
    "人事信息",
    "建议提案办理",
    "新闻发布会",
    "教育",
    "医疗卫生",
    "社会保障",
    "住房保障",
    "交通出行",
    "公共安全",
    "就业创业",
    "企业开办",
    "工程建设",
    "税收财务",
    "个人办事",
    "法人办事",
    "部门服务",
    "便民查询",
    "市长信箱",
    "网上调查",
    "在线访谈",
    "意见征集",
]
FOOTER_LINKS = [
    "网站地图",
    "联系我们",
    "使用帮助",
    "隐私声明",
    "中国政府网",
    "某省人民政府",
    "某市发展和改革委员会",
    "某市财政局",
    "某市工业和信息化局",
    "某市自然资源局",
    "某市人力资源和社会保障局",
    "某市住房和城乡建设局",
    "某市商务局",
    "某市科学技术局",
]


def test_html_saved_from_a_government_site_keeps_the_article_only(tmp_path):
    path = tmp_path / "notice.html"
    path.write_text(gov_page(MENU, ["网站地图", "联系我们"]), encoding="utf-8")
    text = read(path)
    assert "<p" not in text and "document.write" not in text
    [n] = parse_file(text, path.stem)
    assert_same_notice(n)
    for part in [n.preamble, n.notice_title, n.title, n.addressees, *(c.text for c in n.clauses)]:
        assert not any(w in part for w in NAV_WORDS), part
    assert not any(w in text for w in ("脚本", "统计代码", "栏目导航", "网站地图", "主办单位"))
    assert n.closing == (CLOSING,)  # no share bar or footer after the measures


def test_htm_in_gb18030_with_br_separated_lines_reads_to_the_same_notice(tmp_path):
    body = "<br>\n".join(html.escape(ln) for ln in notice_lines())
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>'
        '<div class="nav"><a href="/">首页</a></div>'
        f'<div id="zoom" class="TRS_Editor"><p>{body}</p></div></body></html>'
    )
    path = tmp_path / "notice.htm"
    path.write_bytes(page.encode("gb18030"))
    [n] = parse_file(read(path), path.stem)
    assert_same_notice(n)


def test_html_short_notice_on_a_page_with_a_large_menu_keeps_the_article_only(tmp_path):
    menu = MENU + BIG_MENU
    page = gov_page(menu, FOOTER_LINKS, ("关于我们", "无障碍浏览", "长者模式"))
    page = page.replace("<footer>", '<div class="footer">').replace("</footer>", "</div>")  # many sites do
    path = tmp_path / "notice.html"
    path.write_text(page, encoding="utf-8")
    [n] = parse_file(read(path), path.stem)
    assert n.notice_title == NOTICE_TITLE
    assert n.office == OFFICE
    assert n.addressees == "各县（区）人民政府，市政府各部门，各直属机构"
    assert not any(w in p for p in n.closing for w in NAV_WORDS)


# --- .pdf ------------------------------------------------------------------------------------------
def test_pdf_without_a_text_layer_says_so_and_names_the_file(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    w = pypdf.PdfWriter()
    w.add_blank_page(595, 842)
    path = tmp_path / "scanned-notice.pdf"
    w.write(str(path))
    with pytest.raises(CorpusError) as exc:
        read(path)
    assert "scanned-notice.pdf" in str(exc.value)
    assert "no text layer" in str(exc.value)
    assert exc.value.code == "no_text"


def test_damaged_pdf_is_an_unreadable_error_naming_the_file(tmp_path):
    path = tmp_path / "truncated.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    with pytest.raises(CorpusError) as exc:
        read(path)
    assert "truncated.pdf" in str(exc.value)


@pytest.fixture(scope="module")
def printed_pdf(tmp_path_factory) -> Path:
    """The small notice as HTML, printed to PDF by Chromium (a PDF with a text layer)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium fonts-noto-cjk)")
    sync_api = pytest.importorskip("playwright.sync_api")
    body = "\n".join(f"<p>{html.escape(ln)}</p>" for ln in notice_lines())
    page_html = (
        '<html><head><meta charset="utf-8"><style>body { font-family: "Noto Serif CJK SC"; font-size: 15pt; }'
        f"</style></head><body>{body}</body></html>"
    )
    path = tmp_path_factory.mktemp("pdf") / "printed-notice.pdf"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.set_content(page_html)
            page.pdf(path=str(path))
        finally:
            browser.close()
    return path


@pytest.mark.slow
def test_pdf_with_a_text_layer_is_read(printed_pdf):
    text = read(printed_pdf)
    assert DOC_NUMBER in text
    assert text.replace("\n", "").count("责任单位") == len(MEASURES)  # a line may wrap inside it
    assert "\r" not in text


@pytest.mark.slow
def test_pdf_with_a_text_layer_parses_to_the_same_measures(printed_pdf):
    [n] = parse_file(read(printed_pdf), printed_pdf.stem)
    assert n.doc_number == DOC_NUMBER
    assert [c.number for c in n.clauses] == [1, 2, 3]
    assert [c.title for c in n.clauses] == [m[0] for m in MEASURES]
    assert [c.units for c in n.clauses] == [m[2] for m in MEASURES]
    assert n.issued == date(2024, 3, 1)


# --- a corpus folder -------------------------------------------------------------------------------
def test_load_notices_skips_folders_and_unsupported_files(tmp_path):
    (tmp_path / "notice.txt").write_text(notice_text(), encoding="utf-8")
    (tmp_path / "x.txt").mkdir()  # a folder with a notice's suffix
    (tmp_path / "x.txt" / "inner.txt").write_text(notice_text(), encoding="utf-8")
    (tmp_path / "notice.vocab").mkdir()
    (tmp_path / "notice.vocab" / "terms.txt").write_text("某产业\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# 说明\n一、这不是通知。\n二、也不是。\n", encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in corpus_files(tmp_path)] == ["notice.txt"]
    notices = load_notices(tmp_path)
    assert [n.doc_id for n in notices] == ["notice"]
    assert_same_notice(notices[0])


def numbered(text: str, k: int) -> str:
    """The same notice under another 文号 (a corpus keeps one copy of each 文号)."""
    return text.replace(DOC_NUMBER, DOC_NUMBER.replace("7号", f"{7 + k}号"))


def test_load_notices_reads_every_format_sorted_by_file_name(tmp_path):
    (tmp_path / "c-notice.txt").write_bytes(numbered(notice_text("\r\n"), 2).encode("gb18030"))
    make_docx(tmp_path / "a-notice.docx", [numbered(line, 0) for line in notice_lines()])
    (tmp_path / "b-notice.html").write_text(numbered(gov_page(MENU, ["网站地图"]), 1), encoding="utf-8")
    notices = load_notices(tmp_path)
    assert [n.doc_id for n in notices] == ["a-notice", "b-notice", "c-notice"]
    ref = original()
    for k, n in enumerate(notices):
        assert n.doc_number == numbered(DOC_NUMBER, k)
        assert n.title == ref.title and n.issued == ref.issued and n.valid_until == ref.valid_until
        assert [(c.number, c.text, c.units) for c in n.clauses] == [(c.number, c.text, c.units) for c in ref.clauses]


@pytest.mark.parametrize("content", ["empty", "only unsupported files", "only folders"])
def test_a_folder_without_notices_is_an_empty_corpus_error(tmp_path, content):
    if content == "only unsupported files":
        (tmp_path / "README.md").write_text(notice_text(), encoding="utf-8")
    elif content == "only folders":
        (tmp_path / "x.txt").mkdir()
        (tmp_path / "x.vocab").mkdir()
    with pytest.raises(CorpusError) as exc:
        load_notices(tmp_path)
    assert exc.value.code == "empty_corpus"
    assert str(tmp_path) in str(exc.value)


def test_a_missing_folder_is_an_empty_corpus_error(tmp_path):
    with pytest.raises(CorpusError) as exc:
        load_notices(tmp_path / "nowhere")
    assert exc.value.code == "empty_corpus"


def test_a_file_without_measures_is_a_no_measures_error_naming_it(tmp_path):
    (tmp_path / "notice.txt").write_text(notice_text(), encoding="utf-8")
    (tmp_path / "letter.txt").write_text("某市人民政府办公室\n关于召开会议的函\n请准时参加。\n", encoding="utf-8")
    with pytest.raises(CorpusError) as exc:
        load_notices(tmp_path)
    assert exc.value.code == "no_measures"
    assert "letter.txt" in str(exc.value)


def test_two_files_with_the_same_stem_do_not_share_a_doc_id(tmp_path):
    (tmp_path / "notice.txt").write_text(notice_text(), encoding="utf-8")
    make_docx(tmp_path / "notice.docx", [numbered(line, 1) for line in notice_lines()])
    try:
        notices = load_notices(tmp_path)
    except CorpusError as exc:  # refusing the clash, naming both files, is as good as distinct doc_ids
        assert "notice.txt" in str(exc) and "notice.docx" in str(exc)
        return
    ids = [n.doc_id for n in notices]
    assert len(ids) == 2 and len(set(ids)) == 2, ids
    assert "notice" in ids
    ref = original()
    for n in notices:
        assert [(c.number, c.text) for c in n.clauses] == [(c.number, c.text) for c in ref.clauses]


def test_index_check_reports_corpus_problems_without_building(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(notice_text(), encoding="utf-8")
    (corpus / "b.txt").write_text(notice_text(), encoding="utf-8")  # the same 文号 again
    lines = notice_lines()[:-2] + ["三、优化人才服务。对企业引进的高层次人才，给予每月2000元的生活补贴，并"]
    other = "\n".join(lines).replace(DOC_NUMBER, DOC_NUMBER.replace("7号", "8号"))
    (corpus / "c.txt").write_text(other, encoding="utf-8")  # its last measure stops mid-sentence
    index_dir = tmp_path / "index"
    out = CliRunner().invoke(
        main, ["index", "--check"], env={"POLICY_CORPUS_DIR": str(corpus), "POLICY_INDEX_DIR": str(index_dir)}
    )
    assert out.exit_code == 0, out.output
    assert f"b.txt has the same 文号 {DOC_NUMBER} as a.txt; only a.txt is used" in out.output
    assert "c.txt" in out.output and "looks truncated" in out.output
    assert "2 notice(s)" in out.output and "2 warning(s)" in out.output
    assert not index_dir.exists()  # nothing built
    notices = load_notices(corpus)
    assert [n.doc_id for n in notices] == ["a", "c"]
