"""Text normalisation shared by every step: Chinese numerals, full-width forms, whitespace, dates.

The one home of the numeral tables and width maps (parser, router, LLM check and harness use these).
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100}
CN_NUM = "[一二三四五六七八九十百零〇两]+"  # a Chinese numeral up to the hundreds (clause numbers)
NUM = rf"(?:\d+|{CN_NUM})"  # a clause number in digits or Chinese
CN_RUN = "[零〇一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万亿]*"  # a Chinese amount (五十万)
MULT = {"千": 1000, "万": 10_000, "亿": 100_000_000}

CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
QUOTED_TERM = re.compile(r"[“「\"]([\u4e00-\u9fff]{2,8})[”」\"]")  # a term a notice puts in quotes: “链长”
FULL_DATE = re.compile(r"(?:19|20)\d\d年\d{1,2}月\d{1,2}日")  # 2018年12月31日
# Full-width digits, Latin letters, space, point and slash → ASCII.
FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ　．／",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ./",
)
# The same without point and slash, for question text (a full-width ． can end a sentence).
FULL_WIDTH_TEXT = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ　",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ",
)


def half_width(text: str) -> str:
    """Full-width digits, letters, space, point and slash as ASCII."""
    return text.translate(FULL_WIDTH)


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def is_english(text: str) -> bool:
    """Is the text written in English, though it may name Chinese terms (which sections list 安徽银保监局
    as a responsible unit?): three English words or more, and at least one for every two Chinese characters."""
    words = len(re.findall(r"[A-Za-z]{2,}", text))
    return words >= 3 and 2 * words >= len(CJK.findall(text))


def normalise(text: str) -> str:
    """Full-width to half-width letters/digits, collapse whitespace."""
    return re.sub(r"\s+", " ", text.translate(FULL_WIDTH_TEXT)).strip()


def cn_to_int(s: str) -> int | None:
    """Chinese numeral (一, 十二, 二十三, 一百零五) or digits (also full-width) to int."""
    s = s.strip().translate(FULL_WIDTH)
    if s.isdecimal():  # not isdigit(): that also takes ² and ①, which int() cannot read
        try:
            return int(s)
        except ValueError:  # thousands of digits, beyond int()'s limit: no number anyone means
            return None
    if not s or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in s):
        return None
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        else:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
    return total + current


def int_to_cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def cn_value(s: str) -> Fraction:
    """A Chinese amount as a number: 一百二十 → 120, 五十万 → 500000, 二〇二六 → 2026."""
    if all(ch in CN_DIGITS for ch in s):
        value = 0  # digit by digit in arithmetic: int() of a string refuses thousands of digits
        for ch in s:
            value = value * 10 + CN_DIGITS[ch]
        return Fraction(value)
    total = section = current = 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in "十百千":
            section += (current or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            current = 0
        elif ch in MULT:
            total += (section + current or 1) * MULT[ch]
            section = current = 0
    return Fraction(total + section + current)


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "未注明"
