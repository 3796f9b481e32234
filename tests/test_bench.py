"""Synthetic corpora for `policy-assistant bench`: variants of the real notice that the parser reads."""

from __future__ import annotations

from pathlib import Path

from assistant.bench import synthesize, write_corpus
from assistant.corpus import load_notices, parse_notice

ROOT = Path(__file__).resolve().parent.parent
REAL = min((ROOT / "corpus").glob("*.txt"))


def test_synthetic_notices_parse_with_their_own_numbers_dates_and_clauses(tmp_path):
    raw = REAL.read_text(encoding="utf-8")
    real = parse_notice(raw, REAL.stem)
    files = synthesize(raw, 12, seed=1, doc_id=REAL.stem)
    assert len(files) == 12 and files[0] == (f"{REAL.stem}.txt", raw)
    notices = load_notices(write_corpus(files, tmp_path / "corpus"))
    assert notices[0].doc_number == real.doc_number  # the real notice sorts first
    assert len({n.doc_number for n in notices}) == 12
    variants = notices[1:]
    for n in variants:
        assert n.issued and n.valid_until and n.valid_until > n.issued and n.issued != real.issued
        assert 6 <= len(n.clauses) <= len(real.clauses)
        assert [c.number for c in n.clauses] == list(range(1, len(n.clauses) + 1))
        assert all(c.units for c in n.clauses)
        assert {c.title for c in n.clauses} <= {c.title for c in real.clauses}
    real_text = {c.title: c.body for c in real.clauses}
    changed = sum(c.body != real_text[c.title] for n in variants for c in n.clauses)
    reordered = sum([c.title for c in n.clauses] != [c.title for c in real.clauses][: len(n.clauses)] for n in variants)
    assert changed > 0 and reordered > 0


def test_the_same_seed_gives_the_same_corpus():
    raw = REAL.read_text(encoding="utf-8")
    assert synthesize(raw, 5, seed=3) == synthesize(raw, 5, seed=3)
    assert synthesize(raw, 5, seed=3) != synthesize(raw, 5, seed=4)
