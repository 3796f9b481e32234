"""Property-based tests (hypothesis) of the four places that read untrusted text: the notice parser,
the question normaliser, the `ask --jsonl` line reader with the JSON it writes back, and the masker of
the feedback log.

Every property runs with database=None (no example database is kept; hypothesis's own caches in
.hypothesis/ are git-ignored) and a modest number of examples, so the file stays fast; the one
subprocess run of the real CLI is marked slow."""

from __future__ import annotations

import json
import math
import os
import subprocess
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.contract import (
    AskRequest,
    answer_json,
    decode_line,
    dumps,
    error_json,
    loads,
    parse_line,
)
from assistant.corpus import parse_notice
from assistant.corpus.parser import parse_file
from assistant.errors import InvalidQuestion
from assistant.records import Answer, Citation, Notice
from assistant.textnorm import (
    CN_DIGITS,
    FULL_WIDTH_TEXT,
    cn_to_int,
    cn_value,
    half_width,
    int_to_cn,
    normalise,
)

from .helpers import VENV_BIN, made_up

PURE = settings(max_examples=200, deadline=None, database=None)
PARSER = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def strict(text: str | bytes) -> object:
    """Parse as a strict JSON reader would: UTF-8 only, no NaN/Infinity."""

    def reject(name):
        raise AssertionError(f"{name} in output: {text!r:.200}")

    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="strict")
    return json.loads(text, parse_constant=reject)


# --- strategies: text a notice file could hold ------------------------------------------------------
CJK_BITS = list("产业企业发展支持创新技术园区项目建设服务资金人才市场某市区县人民政府办公厅的和及等在对给予奖励")
PUNCT = list("。；：，、！？“”《》（）〔〕()[]［］【】「」　 \t.．﹒0123456789")
ODD = ["\u200b", "\u200d", "\ufeff", "\u2028", "\x85", "\x0b", "\x0c", "\xa0"]
MARKERS = [
    "一、",
    "二、",
    "十、",
    "三十一、",
    "零、",
    "两．",
    "（一）",
    "(二)",
    "（ 三 ）",
    "（十)",
    "1.",
    "2．",
    "3﹒",
    "10、",
    "（1）",
    "(2)",
    "第一条",
    "第2条 ",
    "第十二条　",
    "第一章 ",
    "第二节 ",
    "第 三 条",
]
SPECIAL_LINES = [
    "某市人民政府办公厅文件",
    "市政办发〔2023〕31号",
    "某政发(2024)7号",
    "某市人民政府关于印发《某市促进某产业发展若干措施》的通知",
    "《某市促进某产业发展若干措施》已经市政府同意，现印发给你们，请认真贯彻落实。",
    "某市促进某产业发展若干措施",
    "各区县人民政府，市政府各部门：",
    "2024年2月29日",
    "2023年2月29日",
    "2023年12月26日印发",
    "（此件公开发布）",
    "抄送：市委各部门。",
    "附件1",
    "附件：",
    "（责任单位：市财政局、市工信局等，各区县政府）",
    "（牵头单位：市发改委；配合单位：市财政局）",
    "（市发改委牵头，市财政局配合）",
    "（省（区、市）人民政府负责）",
    "本措施自印发之日起施行，有效期五年。",
    "本措施自2024年2月29日起施行，有效期3年。",
    "本办法自9999年1月1日起施行，有效期5年。",
    "本措施有效期至2026年12月31日。",
    "本措施自2024年1月1日起施行，至2025年2月29日止。",
    "同时废止某政发〔2020〕1号。",
    "本措施由市工信局负责解释。",
]
fragment = st.text(
    alphabet=st.one_of(st.sampled_from(CJK_BITS + PUNCT + ODD), st.characters(exclude_categories=["Cs"])),
    max_size=40,
)
line = st.one_of(
    st.tuples(st.sampled_from(MARKERS), fragment).map("".join),
    fragment,
    st.sampled_from(SPECIAL_LINES),
    # clause numbers of thousands of digits, around int()'s 4300-digit limit
    st.one_of(st.integers(1, 6000), st.sampled_from([4300, 4301])).map(lambda k: f"第{'9' * k}条 很长的编号。"),
    st.tuples(
        st.sampled_from(["有效期", "试行期", "有效期为"]),
        st.text("一二三四五六七八九十百零〇两", min_size=1, max_size=12),
    ).map(lambda t: f"本措施自印发之日起施行，{t[0]}{t[1]}年。"),
)
NEWLINES = ["\n", "\r\n", "\r", "\n\n", "\n \n", "\u3000\n"]
# Notice files are decoded strictly (corpus/readers.py), so the parser never sees a lone surrogate.
raw_text = st.builds(
    lambda bom, pairs: ("\ufeff" if bom else "") + "".join(ln + sep for ln, sep in pairs),
    st.booleans(),
    st.lists(st.tuples(line, st.sampled_from(NEWLINES)), max_size=30),
)


def words(text: str) -> str:
    """What page-break repair and bracket repair leave alone: the text without whitespace (lines joined,
    edges stripped), without byte-order marks, brackets in one width (fix_brackets swaps （ and ()."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "\ufeff").translate(str.maketrans("（）", "()"))


def parse_or_none(raw: str, doc_id: str = "prop") -> list[Notice] | None:
    """parse_file's result, or None when it raised its one documented error (no numbered measures)."""
    try:
        return parse_file(raw, doc_id)
    except ValueError as exc:
        assert "no numbered measures" in str(exc), f"undocumented ValueError: {exc!r}"
        return None


# --- 1. the notice parser ---------------------------------------------------------------------------
@PARSER
@given(raw_text)
def test_parsing_any_text_gives_notices_or_the_no_measures_error(raw):
    notices = parse_or_none(raw)
    try:
        main = parse_notice(raw, "prop")
    except ValueError:
        assert notices is None
    else:
        assert notices is not None and main == notices[0]
    if notices is None:
        return
    assert notices[0].doc_id == "prop" and notices[0].parent is None
    for k, n in enumerate(notices[1:], 1):
        assert n.doc_id == f"prop.att{k}" and n.parent == "prop"
    for n in notices:
        assert n.clauses
        numbers = [c.number for c in n.clauses]
        assert len(set(numbers)) == len(numbers), numbers  # a number given twice is kept once
        assert all(isinstance(x, int) and x >= 0 for x in numbers)
        if n.valid_until is not None:
            assert isinstance(n.valid_until, date)


@PARSER
@given(raw_text)
def test_every_clause_is_verbatim_input_text(raw):
    """Clause text is the input's wording: line breaks and edge whitespace may go (page-break repair) and
    a bracket may change width, but no character is added, dropped or reordered within a paragraph; the
    quoted sentences, the title, the units and the units bracket are verbatim in what is quoted from.

    Paragraph by paragraph, not the whole clause: a numbered item after a heading of a higher level than
    the measures (第一章 between two 第N条) is added to the measure before that heading, so a clause's
    paragraphs need not be one stretch of the input."""
    notices = parse_or_none(raw)
    source = words(raw)
    for n in notices or []:
        for c in n.clauses:
            assert "\ufeff" not in c.text and "\r" not in c.text
            for para in c.text.split("\n"):
                assert para and para == para.strip()
                assert words(para) in source, (c.number, para)
            assert c.title in c.text
            for s in c.sentences:
                assert s and s in c.body, (c.number, s)
            if c.units_quote:
                for q in c.units_quote.split("……"):
                    assert q in c.text
            for u in c.units:
                assert u in c.text
            assert c.units == tuple(dict.fromkeys(c.lead_units + c.support_units))
            assert not set(c.lead_units) & set(c.support_units)


def _without_hash(notices: list[Notice] | None) -> list[Notice] | None:
    return None if notices is None else [replace(n, source_sha256="") for n in notices]


@PARSER
@given(
    st.lists(st.one_of(line, st.sampled_from(SPECIAL_LINES)), max_size=25),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
    st.sampled_from(["", " ", "\t", "\u3000", "  \u3000"]),
    st.booleans(),
)
def test_line_endings_bom_blank_lines_and_edge_whitespace_change_nothing(lines, newline, bom, pad, blank):
    """The documented normalisation: CR/CRLF are newlines, a BOM is dropped, lines are stripped and
    blank lines skipped — so none of them changes what is parsed (only the source hash)."""
    lines = [ln for ln in lines if "\ufeff" not in ln]  # a BOM inside a line is dropped too, but shifts the text
    plain = "\n".join(lines) + "\n"
    varied = (
        ("\ufeff" if bom else "") + newline.join(pad + ln + pad + (newline if blank else "") for ln in lines) + newline
    )
    assert _without_hash(parse_or_none(varied)) == _without_hash(parse_or_none(plain))


# Made-up notices: words that name no marker, no units key, no closing phrase, no date.
SAFE = (
    "产业企业发展创新技术园区项目建设服务资金人才数字经济绿色低碳制造平台培育升级质量品牌数据算力装备材料能源交通物流"
)
safe = st.text(alphabet=SAFE, min_size=1, max_size=16)
unit_name = st.builds(lambda w: f"市{w}局", st.text(alphabet=SAFE, min_size=1, max_size=4))
measure = st.tuples(safe, st.lists(safe, max_size=3), st.lists(unit_name, min_size=1, max_size=4))


def written(m: tuple[str, list[str], list[str]]) -> str:
    title, sentences, units = m
    return f"{title}。{''.join(s + '。' for s in sentences)}（责任单位：{'、'.join(units)}）"


@PARSER
@given(
    st.lists(measure, min_size=2, max_size=5),  # a lone 一、 is no list of measures (measure_level)
    st.text(alphabet=SAFE, min_size=1, max_size=6),
    st.integers(2000, 2099),
    st.integers(1, 999),
)
def test_a_made_up_notice_parses_to_the_measures_written(ms, topic, year, serial):
    number = f"某政发〔{year}〕{serial}号"
    raw = made_up(number, topic, [written(m) for m in ms])
    [n] = parse_file(raw, "made-up")
    assert n.doc_number == number and n.title == f"某市促进{topic}发展若干措施"
    assert [c.number for c in n.clauses] == list(range(1, len(ms) + 1))
    for c, m in zip(n.clauses, ms, strict=True):
        title, sentences, units = m
        assert c.label == f"{int_to_cn(c.number)}、"
        assert c.text == written(m) and c.title == title
        assert c.units == tuple(dict.fromkeys(units)) == c.lead_units and c.support_units == ()
        assert c.units_text == "、".join(units)
        assert c.sentences == (tuple(s + "。" for s in sentences) or (title + "。",))
    assert n.issued == date(2024, 3, 1) and n.closing == ("本措施自印发之日起施行。",)


def _years_later(start: date, years: int) -> date | None:
    """The reference for 有效期N年: the day before the same date N years on (29 February → 28 February),
    None when that is beyond the calendar (year 9999)."""
    y = start.year + years
    if y > date.max.year:
        return None
    day = (
        28 if (start.month, start.day) == (2, 29) and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else start.day
    )
    return date(y, start.month, day) - timedelta(days=1)


@PARSER
@given(
    st.one_of(st.integers(0, 9999), st.sampled_from([1900, 2000, 2023, 2024, 2100, 9990, 9999])),
    st.one_of(
        st.tuples(st.integers(1, 12), st.integers(1, 31)), st.sampled_from([(2, 29), (2, 28), (2, 30), (12, 31)])
    ),
    st.one_of(
        st.integers(1, 99).map(str),
        st.integers(0, 99).map(int_to_cn),
        st.text("一二三四五六七八九十百零〇两", min_size=1, max_size=12),
    ),
    st.sampled_from(["有效期", "有效期为", "试行期"]),
)
def test_validity_in_years_from_any_date_never_crashes(year, month_day, years, word):
    month, day = month_day
    closing = f"本措施自{year:04d}年{month}月{day}日起施行，{word}{years}年。"
    raw = made_up("某政发〔2024〕1号", "某产业", ["支持企业。给予奖励。（责任单位：市财政局）"] * 2, closing)
    [n] = parse_file(raw, "dates")
    try:
        effective = date(year, month, day)
    except ValueError:
        effective = None
    assert n.effective_date == effective
    assert n.validity == f"{word}{years}年"
    count = cn_to_int(years) or 0
    expected = _years_later(effective or n.issued, count) if count else None
    assert n.valid_until == expected


# --- 2. the question normaliser -----------------------------------------------------------------------
FULL_DIGITS = "０１２３４５６７８９"
FULL_LETTERS = (
    "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
)
# Questions arrive as JSON strings, and an escaped "\ud800" is a lone surrogate: normalise must take those too.
any_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),  # every code point, surrogates included
        st.sampled_from(list(FULL_DIGITS + FULL_LETTERS + "　．／ \t\n\r\x0b\x0c\x1c\x85\u2028\u3000\ufeff")),
    ),
    max_size=60,
)


@PURE
@given(any_text)
def test_normalise_is_total_idempotent_and_only_folds_width_and_whitespace(text):
    out = normalise(text)
    assert normalise(out) == out
    assert out == out.strip() and "  " not in out
    assert not any(ch.isspace() and ch != " " for ch in out)
    assert not any(ch in FULL_DIGITS + FULL_LETTERS + "　" for ch in out)
    assert out.split(" ") == (text.translate(FULL_WIDTH_TEXT).split() or [""])  # nothing else is touched


@PURE
@given(any_text)
def test_half_width_maps_full_width_digits_and_letters_one_for_one(text):
    out = half_width(text)
    assert len(out) == len(text) and half_width(out) == out
    for a, b in zip(text, out, strict=True):
        if a in FULL_DIGITS + FULL_LETTERS + "．／":
            assert b == chr(ord(a) - 0xFEE0) and b.isascii()
        elif a == "　":
            assert b == " "
        else:
            assert b == a


@PURE
@given(st.integers(0, 99_999))
def test_int_to_cn_and_cn_to_int_round_trip(n):
    """Chinese numerals for 0..99 (the clause numbers notices use), digits above."""
    cn = int_to_cn(n)
    assert cn_to_int(cn) == n
    if n < 100:
        assert all(ch in "零一二三四五六七八九十" for ch in cn)
        assert cn_value(cn) == n
    else:
        assert cn == str(n)
    assert cn_to_int(str(n).translate(str.maketrans("0123456789", FULL_DIGITS))) == n
    assert cn_to_int(f" {n} ") == n


def reading(n: int) -> str:
    """A reference Chinese reading of 0 ≤ n < 10⁸ (一万零五, 三千零二十, 一十万)."""
    if n == 0:
        return "零"
    digits = "零一二三四五六七八九"

    def four(g: int) -> str:
        out, zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = g // value % 10
            if d == 0:
                zero = zero or bool(out)
                continue
            out += ("零" if zero else "") + digits[d] + unit
            zero = False
        return out

    high, low = divmod(n, 10_000)
    text = (four(high) + "万" if high else "") + ("零" if high and 0 < low < 1000 else "") + (four(low) if low else "")
    return text


@PURE
@given(st.integers(0, 99_999_999))
def test_cn_value_reads_chinese_amounts(n):
    assert cn_value(reading(n)) == n
    assert cn_value("".join("〇一二三四五六七八九"[int(d)] for d in str(n))) == n  # digit by digit: 二〇二六


@PURE
@given(
    st.one_of(
        st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
        # digits of other kinds: ² and ① are isdigit() but not int(); ٣ and ９ are read
        st.text(alphabet="0123456789０９٣۳²³①⑴𝟗一十百零两 \u3000", min_size=1, max_size=8),
        st.integers(4000, 6000).map(lambda k: "9" * k),
    )
)
def test_cn_to_int_is_an_int_or_none_for_any_text(text):
    out = cn_to_int(text)
    assert out is None or (isinstance(out, int) and out >= 0)


@PURE
@given(
    st.one_of(
        st.text("零〇一二两三四五六七八九十百千万亿", min_size=1, max_size=40),
        st.integers(1, 6000).map(lambda k: "一" * k),  # 一一一…: a digit-by-digit numeral longer than int() reads
    )
)
def test_cn_value_is_a_number_for_any_chinese_numeral_run(text):
    v = cn_value(text)
    assert v >= 0 and v.denominator == 1
    if all(ch in CN_DIGITS for ch in text):  # digit by digit (一一一 is 111), however many digits
        assert v == sum(CN_DIGITS[ch] * 10**i for i, ch in enumerate(reversed(text)))


# --- 3. the JSONL reader and the lines written back ---------------------------------------------------
HOSTILE_VALUES = [
    "1e400",
    "-1e400",
    "1E+99999",
    "NaN",
    "-Infinity",
    "Infinity",
    "9" * 5000,
    "-" + "9" * 4300,
    "9" * 4300,
    "[" * 30000 + "]" * 30000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    '"\\ud800"',
    '"\\udfff\\ud800x"',
    '"\\u0000\\u2028\\u0085"',
    '"\\ufeff"',
    "-0",
    "0.1e-400",
    "1.5",
    "true",
    "null",
    '{"a": [1, {"b": null}]}',
    '"第九条"',
]
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=()), max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_text = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    json_value.map(lambda v: json.dumps(v, ensure_ascii=True)),
)
# A line as `ask --jsonl` reads it: bytes, possibly not UTF-8, possibly encoding a surrogate.
line_bytes = st.one_of(
    st.binary(max_size=80),
    json_text.map(lambda t: t.encode()),
    st.tuples(json_text, json_text).map(lambda t: f'{{"id": {t[0]}, "question": {t[1]}}}'.encode()),
    st.tuples(json_value, json_value).map(
        lambda t: json.dumps({"id": t[0], "question": t[1], "history": t[1]}, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    ),
    st.tuples(
        st.sampled_from([b"\xef\xbb\xbf", b"\xff", b"\xed\xa0\x80", b"\xc0\x80", b""]), st.binary(max_size=20)
    ).map(lambda t: t[0] + b'{"question": "q", "id": 1}' + t[1]),
)
READER_CODES = {"bad_encoding", "bad_json", "bad_request"}


def fake_answer(req: AskRequest) -> Answer:
    """An answer that echoes what the request brought (as a refusal or a quote would)."""
    text = req.question if isinstance(req.question, str) else repr(req.question)
    cite = Citation(clause=1, title=text[:10], doc_number="某政发〔2024〕1号", quote=text, units=[text[:3]])
    return Answer(text=text, refused=False, citations=[cite], timings_ms={"total": 1.25})


def written_lines(raw: bytes) -> list[str]:
    """What `ask --jsonl` prints for one input line, its answering step replaced by an echo: the error
    object of the reader, or an answer and the error object a check of the question would give."""
    try:
        text = decode_line(raw)
    except InvalidQuestion as exc:
        assert exc.code == "bad_encoding"
        return [dumps(error_json(exc, None))]
    try:
        req = parse_line(text)
    except InvalidQuestion as exc:
        assert exc.code in READER_CODES, exc.code
        return [dumps(error_json(exc, None))]
    assert isinstance(req, AskRequest)
    assert req.doc is None or isinstance(req.doc, str)
    check = InvalidQuestion(f"问题不对 {req.question!r:.50}", "not_string")
    return [
        dumps(answer_json(fake_answer(req), req.id, with_id=True)),
        dumps(error_json(check, req.id)),
        dumps(error_json(RuntimeError(repr(req.id)[:80]), req.id)),
    ]


def assert_one_strict_line(out: str) -> object:
    assert "\n" not in out and "\r" not in out
    out.encode("utf-8")  # valid UTF-8: no lone surrogate written raw
    return strict(out)


@PURE
@given(line_bytes)
def test_any_input_line_is_a_request_or_a_coded_error_and_every_reply_is_strict_json(raw):
    for out in written_lines(raw):
        row = assert_one_strict_line(out)
        assert isinstance(row, dict) and ("error" in row) == ("code" in row)


@PURE
@given(st.sampled_from(HOSTILE_VALUES) | json_value.map(json.dumps), st.text(alphabet=st.characters(), max_size=30))
def test_any_id_is_echoed_exactly_or_the_line_is_bad_json(id_text, question):
    line = f'{{"question": {json.dumps(question)}, "id": {id_text}}}'
    try:
        req = parse_line(line)
    except InvalidQuestion as exc:
        assert exc.code == "bad_json"
        return
    assert req.question == question
    for out in written_lines(line.encode("utf-8", "surrogatepass")):
        row = assert_one_strict_line(out)
        assert row["id"] == req.id
        if isinstance(req.id, float):
            assert math.isfinite(req.id)


@PURE
@given(st.dictionaries(st.text(alphabet=st.characters(exclude_categories=()), max_size=8), json_value, max_size=6))
def test_dumps_writes_one_strict_utf8_line_that_reads_back_the_same(obj):
    out = dumps(obj)
    assert assert_one_strict_line(out) == obj


@PURE
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=60))
def test_loads_takes_any_text(text):
    try:
        loads(text)
    except InvalidQuestion as exc:
        assert exc.code == "bad_json"


# --- the real CLI, once -------------------------------------------------------------------------------
def hostile_batch() -> list[bytes]:
    """About thirty hostile lines (none blank: a blank line gets no reply) for one `ask --jsonl` run."""
    good = '"第九条讲的是什么？"'
    lines = [f'{{"id": {v}, "question": {good}}}'.encode() for v in HOSTILE_VALUES]
    lines += [
        b'{"id": "\xff", "question": "q"}',
        b'{"id": "enc", "question": "\xed\xa0\x80"}',
        b"\xef\xbb\xbf" + f'{{"id": "bom", "question": {good}}}'.encode(),
        b'{"id": "cr", "question": "\xe7\xac\xac\xe4\xb9\x9d\xe6\x9d\xa1"}\r',
        b'{"id": "lone", "question": "\\ud800\xe7\xac\xac\xe4\xb9\x9d\xe6\x9d\xa1\\udfff"}',
        json.dumps({"id": "ls", "question": "第九条\u2028讲什么\x85？"}, ensure_ascii=False).encode(),
        json.dumps({"id": "fw", "question": "第９条　讲什么？"}, ensure_ascii=False).encode(),
        json.dumps({"id": "long", "question": "第" + "9" * 490 + "条"}).encode(),
        json.dumps({"id": "ones", "question": "一" * 499}).encode(),
        json.dumps(
            {
                "id": "hist",
                "question": "这条找哪个部门？",
                "history": [{"role": "assistant", "content": "【第" + "9" * 5000 + "条 某】"}],
            }
        ).encode(),
        json.dumps({"id": "doc", "question": "第一条", "doc": ["x"]}).encode(),
        json.dumps({"id": "nodoc", "question": "第一条", "doc": "\ud800"}).encode("utf-8", "surrogatepass"),
        b'{"id": 1, "question": "q", "x": "\x01raw control"}',
        b"[]",
        b'"just a string"',
        b"{" * 3000,
    ]
    return lines


@pytest.mark.slow
def test_the_real_cli_answers_every_hostile_line_with_one_strict_json_line(tmp_path):
    lines = hostile_batch()
    assert len(lines) >= 30 and all(b"\n" not in x and x.strip() for x in lines)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POLICY_")},
        "POLICY_INDEX_DIR": str(tmp_path / "index"),
        "POLICY_FEEDBACK_LOG": str(tmp_path / "feedback.jsonl"),
        "POLICY_TODAY": "2026-11-30",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    out = subprocess.run(
        [str(VENV_BIN / "policy-assistant"), "ask", "--jsonl"],
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    rows = [strict(x) for x in out.stdout.split(b"\n")[:-1]]
    assert len(rows) == len(lines), out.stderr.decode(errors="replace")[-2000:]
    for raw, row in zip(lines, rows, strict=True):
        assert isinstance(row, dict)
        assert row.get("code") != "internal", (raw[:80], row)  # no hostile line reaches a crash
        try:
            req = parse_line(decode_line(raw))
        except InvalidQuestion as exc:
            assert row["code"] == exc.code and "id" in row and row["id"] is None
            continue
        assert row["id"] == req.id
    by_id = {r["id"]: r for r in rows if isinstance(r.get("id"), str)}
    assert by_id["bom"]["citations"][0]["clause"] == 9 and by_id["cr"]["citations"][0]["clause"] == 9
    assert by_id["lone"]["id"] == "lone" and "answer" in by_id["lone"]


# --- the feedback masker ----------------------------------------------------------------------------
from assistant.feedback import mask_pii  # noqa: E402

from .helpers import SEED  # noqa: E402

_SEED_CLAUSES = parse_notice(SEED.read_text(encoding="utf-8"), doc_id=SEED.stem).clauses

WIDE = {i: i + 0xFEE0 for i in range(0x30, 0x3A)}  # ASCII digit → full-width digit
CJK_TEXT = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), max_size=8)
SEP = st.sampled_from(["", " ", "-"])


@st.composite
def mobile(draw) -> str:
    digits = (
        "1"
        + draw(st.sampled_from("3456789"))
        + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    )
    sep = draw(SEP)
    number = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    return number.translate(WIDE) if draw(st.booleans()) else number


@st.composite
def card(draw) -> str:
    n = draw(st.integers(16, 19))
    digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n)))
    sep = draw(SEP)
    grouped = sep.join(digits[i : i + 4] for i in range(0, n, 4))
    return grouped.translate(WIDE) if draw(st.booleans()) else grouped


def _digits(s: str) -> str:
    return "".join(ch for ch in s.translate({v: k for k, v in WIDE.items()}) if ch.isdigit())


@settings(max_examples=200, database=None, deadline=None)
@given(before=CJK_TEXT, after=CJK_TEXT, secret=st.one_of(mobile(), card()))
def test_the_masker_hides_every_phone_and_card_number_in_any_text(before, after, secret):
    out = mask_pii(f"{before}{secret}{after}")
    assert _digits(secret) not in _digits(out)
    assert out.startswith(before) and out.endswith(after)  # the words around it are kept


@settings(max_examples=200, database=None, deadline=None)
@given(st.text(max_size=300))
def test_the_masker_never_fails_and_is_idempotent(text):
    once = mask_pii(text)
    assert isinstance(once, str) and mask_pii(once) == once
    assert not any(len(run) >= 16 for run in "".join(c if c.isdecimal() else " " for c in once).split())


@settings(max_examples=100, database=None, deadline=None)
@given(st.sampled_from([s for c in _SEED_CLAUSES for s in c.sentences]))
def test_the_masker_leaves_policy_sentences_alone(sentence):
    assert mask_pii(sentence) == sentence
