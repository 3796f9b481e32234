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

__all__ = ["clause_spans", "corpus_files", "corpus_hash", "fix_brackets", "load_notices", "parse_file", "parse_notice"]


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
    """Parse every notice file in the corpus folder, sorted by file name."""
    files = corpus_files(corpus_dir)
    if not files:
        raise CorpusError(f"no notices ({', '.join('*' + s for s in SUFFIXES)}) in {corpus_dir}", "empty_corpus")
    notices: list[Notice] = []
    stems: dict[str, str] = {}
    for f in files:
        doc_id = f.stem
        if doc_id in stems:  # notice.txt and notice.docx: the later one is told apart by its suffix
            doc_id = f"{f.stem}-{f.suffix.lstrip('.').lower()}"
            log.warning("%s and %s share a name; %s is indexed as %s", stems[f.stem], f.name, f.name, doc_id)
        stems.setdefault(f.stem, f.name)
        try:
            notices += parse_file(read(f), doc_id=doc_id)
        except ValueError as exc:
            raise CorpusError(f"{f.name}: {exc}", "no_measures") from exc
    return notices


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
