"""Read notices (.txt .docx .pdf .html) and parse them into Notice records with their measures."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ..errors import CorpusError
from ..records import Notice
from .parser import parse_file
from .readers import SUFFIXES, read
from .structure import fix_brackets, level_of

log = logging.getLogger(__name__)

__all__ = [
    "clause_spans",
    "corpus_files",
    "corpus_hash",
    "fix_brackets",
    "inspect_corpus",
    "load_notices",
    "looks_truncated",
    "parse_file",
    "parse_notice",
]


def parse_notice(raw: str, doc_id: str = "notice") -> Notice:
    """The main notice of a text (attachments aside). Raises ValueError if it has no numbered measures."""
    return parse_file(raw, doc_id)[0]


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The notice files of a corpus folder, sorted by name (folders, such as <doc_id>.vocab/, are skipped)."""
    folder = Path(corpus_dir)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", "."))  # editor lock files
    )


def load_notices(corpus_dir: Path) -> list[Notice]:
    """Parse every notice file in the corpus folder, sorted by file name; warnings are logged."""
    notices, problems = inspect_corpus(corpus_dir)
    for p in problems:
        log.warning("%s", p)
    return notices


def inspect_corpus(corpus_dir: Path) -> tuple[list[Notice], list[str]]:
    """(the notices, warnings naming the files): shared names, a 文号 given twice (the first file is
    kept), notices that look truncated. A file that cannot be read or holds no measures is a CorpusError."""
    files = corpus_files(corpus_dir)
    if not files:
        raise CorpusError(f"no notices ({', '.join('*' + s for s in SUFFIXES)}) in {corpus_dir}", "empty_corpus")
    notices: list[Notice] = []
    problems: list[str] = []
    stems: dict[str, str] = {}
    numbers: dict[str, str] = {}  # 文号 → the file that brought it
    for f in files:
        doc_id = f.stem
        if doc_id in stems:  # notice.txt and notice.docx: the later one is told apart by its suffix
            doc_id = f"{f.stem}-{f.suffix.lstrip('.').lower()}"
            problems.append(f"{stems[f.stem]} and {f.name} share a name; {f.name} is indexed as {doc_id}")
        stems.setdefault(f.stem, f.name)
        try:
            parsed = parse_file(read(f), doc_id=doc_id)
        except ValueError as exc:
            raise CorpusError(f"{f.name}: {exc}", "no_measures") from exc
        main = parsed[0]
        if main.doc_number and main.doc_number in numbers:
            problems.append(
                f"{f.name} has the same 文号 {main.doc_number} as {numbers[main.doc_number]}; "
                f"only {numbers[main.doc_number]} is used"
            )
            continue
        if main.doc_number:
            numbers[main.doc_number] = f.name
        for n in parsed:
            if why := looks_truncated(n):
                problems.append(f"{f.name}: {n.doc_id} looks truncated ({why}); indexed as it is")
        notices += parsed
    return notices, problems


def looks_truncated(n: Notice) -> str:
    """Why a notice looks cut short ("" if it does not): its last measure stops mid-sentence, or a bracket
    is left open."""
    last = n.clauses[-1].text.rstrip() if n.clauses else ""
    if last and last[-1] not in "。！？；）)」”":
        return f"its last measure ends “…{last[-12:]}”"
    for c in n.clauses:
        if c.text.count("（") + c.text.count("(") > c.text.count("）") + c.text.count(")"):
            return f"an unclosed bracket in measure {c.number}"
    return ""


def corpus_hash(corpus_dir: Path) -> str:
    h = hashlib.sha256()
    for f in corpus_files(corpus_dir):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def clause_spans(raw: str, notice: Notice) -> list[tuple[int, int, int | None]]:
    """Character spans of the raw text: (start, end, clause number), None for header and closing text."""
    from ..textnorm import cn_to_int

    starts: list[tuple[int, int]] = []
    pos = 0
    for line in raw.splitlines(keepends=True):
        lv = level_of(line.strip().replace("\u3000", " ").strip())
        number = cn_to_int(lv[1]) if lv else None
        if number is not None and notice.clause(number) is not None and (not starts or number > starts[-1][1]):
            starts.append((pos + len(line) - len(line.lstrip()), number))
        pos += len(line)
    if not starts:
        return [(0, len(raw), None)]
    key = notice.effective.strip()[:12]
    end = raw.find(key, starts[-1][0]) if key else -1
    end = end if end > 0 else len(raw)
    spans: list[tuple[int, int, int | None]] = [(0, starts[0][0], None)]
    for (s, number), nxt in zip(starts, [*(x[0] for x in starts[1:]), end], strict=True):
        spans.append((s, nxt, number))
    spans.append((end, len(raw), None))
    return [s for s in spans if s[1] > s[0]]
