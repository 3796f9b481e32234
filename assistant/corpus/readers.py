"""Read a notice file into plain text, by format: .txt (UTF-8 with or without BOM, GB18030/GBK, CRLF/CR),
.docx, .pdf with a text layer, .html/.htm as saved from a government site (article text kept,
navigation and scripts dropped). Every failure is a CorpusError naming the file."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CorpusError

SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm")
CELL_GAP = "  "  # between the cells of a table row (two spaces: a row is never joined as a broken paragraph)
ENCODINGS = ("utf-8", "gb18030", "big5")


def read(path: Path) -> str:
    """The file's text with \\n line ends."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".txt":
            text = decode(path.read_bytes(), path)
        elif suffix == ".docx":
            text = _docx(path)
        elif suffix == ".pdf":
            text = _pdf(path)
        elif suffix in (".html", ".htm"):
            text = _html(decode(path.read_bytes(), path))
        else:
            raise CorpusError(f"{path.name}: unsupported file type {suffix} (use {', '.join(SUFFIXES)})", "format")
    except CorpusError:
        raise
    except Exception as exc:  # a damaged .docx/.pdf: name the file, not the library's internals
        raise CorpusError(
            f"{path.name}: cannot read it as {suffix} ({type(exc).__name__}: {exc})", "unreadable"
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")


def decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise CorpusError(
        f"{path.name}: cannot decode the text (tried {', '.join(ENCODINGS)}); save it as UTF-8", "encoding"
    )


def _docx(path: Path) -> str:
    import docx

    doc = docx.Document(str(path))
    lines = []
    for block in doc.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                lines.append(CELL_GAP.join(dict.fromkeys(cell.text.strip() for cell in row.cells)))
        else:
            lines.append(block.text)
    return "\n".join(lines)


# Some PDF writers map shared CJK glyphs to radical code points (⼀ U+2F00 for 一, ⺠ for 民): back to the
# ideographs. Kangxi radicals by NFKC; CJK radicals supplement (no NFKC form) and traditional NFKC results by table.
SUPPLEMENT = dict(
    zip(
        "⺠⻔⻅⻓⻜⻢⻋⻛⻉⻆⻘⻝⻬⻰⻥⻩⻁⻄⻈⻊⻏⻑⻒⻓⻕⻗⻙⻚⻡⻣⻤⻦⻨⻪⻮⻯⻳",
        "民门见长飞马车风贝角青食齐龙鱼黄虎西讠乚阝兰丷长𠂇雨页韦骨鬼卤麦黑鼠鼻龟",
        strict=False,
    )
)
NFKC_TO_SIMPLIFIED = {
    "戶": "户",
    "長": "长",
    "門": "门",
    "馬": "马",
    "車": "车",
    "見": "见",
    "貝": "贝",
    "風": "风",
    "飛": "飞",
    "魚": "鱼",
    "鳥": "鸟",
    "麥": "麦",
    "黃": "黄",
    "齊": "齐",
    "龍": "龙",
    "龜": "龟",
    "韋": "韦",
    "頁": "页",
    "鹵": "卤",
    "黽": "黾",
    "齒": "齿",
    "言": "言",
    "金": "金",
    "食": "食",
}


def unradical(text: str) -> str:
    import unicodedata

    out = []
    for ch in text:
        if "\u2f00" <= ch <= "\u2fdf":
            ch = unicodedata.normalize("NFKC", ch)
            ch = NFKC_TO_SIMPLIFIED.get(ch, ch)
        elif "\u2e80" <= ch <= "\u2eff":
            ch = SUPPLEMENT.get(ch, unicodedata.normalize("NFKC", ch))
        out.append(ch)
    return "".join(out)


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
    text = unradical("\n".join(pages))
    if len(re.sub(r"\s", "", text)) < 20:
        raise CorpusError(f"{path.name}: the PDF has no text layer (a scan?); OCR it or supply the text", "no_text")
    return text


DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select")
CONTENT_HINT = re.compile(r"content|article|zoom|main|text|detail|TRS_Editor|pages_content|body", re.I)
BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "td")


def _html(markup: str) -> str:
    """The article text of a saved government web page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(DROP):
        tag.decompose()
    for tag in soup.find_all(BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    candidates = [soup.body or soup]
    for tag in soup.find_all(["div", "article", "section", "td"]):
        hint = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        if tag.name == "article" or CONTENT_HINT.search(hint):
            candidates.append(tag)

    def size(tag) -> int:
        return len(re.sub(r"\s", "", tag.get_text()))

    def sentences(tag) -> int:  # an article is made of sentences; menus and footers are not
        return tag.get_text().count("。")

    # The smallest candidate that still holds nearly all of the page's sentences: the article, not the page.
    total = sentences(candidates[0])
    holding = [t for t in candidates if sentences(t) >= 0.9 * total] if total else []
    best = min(holding, key=size) if holding else candidates[0]
    lines = [re.sub(r"[ \t\xa0]+", " ", ln).strip() for ln in best.get_text().split("\n")]
    return "\n".join(ln for ln in lines if ln)
