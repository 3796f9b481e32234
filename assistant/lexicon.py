"""Vocabulary shared by routing and retrieval: jieba tokens, stopwords, glossary, unit aliases, cues.

Two owners, two places. Language-level data (stopwords, phrasing and refusal cues, off-topic examples,
other places) ships in assistant/data/. A notice's own vocabulary lives beside it in
corpus/<doc_id>.vocab/ — glossary.tsv (callers' words → the notice's), units.tsv (unit aliases and
English names), terms.txt (jieba words), home.txt (its own place), profile.json (UI title, examples) —
so another city's notice brings its own. This module only loads and merges them.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .textnorm import CJK, is_chinese, normalise

LATIN_WORD = re.compile(r"[a-z][a-z0-9'\-]*")
CLITIC = re.compile(r"'(?:s|re|ll|d|ve|m)$|n't$")
PUNCT = re.compile(r"^[\W_]+$")
VOCAB_SUFFIX = ".vocab"  # corpus/<doc_id>.vocab/: a notice's own vocabulary, beside the notice


def vocab_dir(source: Path) -> Path:
    """Where the vocabulary of the notice in `source` lives (corpus/<stem>.vocab/)."""
    return source.with_name(source.stem + VOCAB_SUFFIX)


log = logging.getLogger(__name__)


def read_profiles(corpus_dir: Path, notices: list) -> dict[str, dict]:
    """doc_id → the notice's profile.json (UI title, starter questions, clarify examples, English names of
    its measures); {} when a notice has none or it cannot be read (logged). profile["english"]["units"]
    holds each unit's first English name in units.tsv."""
    out = {}
    for n in notices:
        vocab = vocab_dir(Path(corpus_dir) / (n.parent or n.doc_id))
        path = vocab / "profile.json"
        try:
            profile = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            assert isinstance(profile, dict), "not a JSON object"
        except (OSError, json.JSONDecodeError, AssertionError) as exc:
            log.warning("ignoring %s: %s", path, exc)
            profile = {}
        english = profile.get("english") if isinstance(profile.get("english"), dict) else {}
        units = {}
        for ln in _read_lines(vocab / "units.tsv"):
            unit, _, aliases = ln.partition("\t")
            name = next((a.strip() for a in aliases.split("|") if a.strip() and not is_chinese(a)), None)
            if name:
                units[unit.strip()] = name
        measures = english.get("measures") if isinstance(english.get("measures"), dict) else {}
        if measures or units:
            profile["english"] = {"measures": {str(k): str(v) for k, v in measures.items()}, "units": units}
        out[n.doc_id] = profile
    return out


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [
        ln.rstrip("\n") for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
    ]


def _names(lines: list[str]) -> list[str]:
    """Chinese names separated by spaces, English ones (which may contain spaces) by commas; lower case."""
    words: list[str] = []
    for ln in lines:
        parts = ln.split() if is_chinese(ln) else ln.split(",")
        words.extend(p.strip().lower() for p in parts if p.strip())
    return words


@dataclass
class Lexicon:
    data_dir: Path  # language-level data (assistant/data)
    vocab_dirs: list[Path] = field(default_factory=list)  # each notice's own vocabulary (corpus/<doc_id>.vocab)
    extra_words: list[str] = field(default_factory=list)  # e.g. unit names parsed from the notices
    vocab_by_notice: dict[str, Path] = field(default_factory=dict)  # doc_id → its vocabulary folder

    @classmethod
    def for_notices(cls, data_dir: Path, corpus_dir: Path, notices: list) -> Lexicon:
        """The lexicon of a corpus: language data, each notice's vocabulary, and its parsed unit names."""
        by_notice = {
            n.doc_id: d for n in notices if (d := vocab_dir(Path(corpus_dir) / (n.parent or n.doc_id))).is_dir()
        }
        units = sorted({u for n in notices for c in n.clauses for u in c.units})
        return cls(
            data_dir, vocab_dirs=list(dict.fromkeys(by_notice.values())), extra_words=units, vocab_by_notice=by_notice
        )

    def home_names_of(self, doc_id: str) -> list[str]:
        """The names of one notice's own place (its home.txt)."""
        d = self.vocab_by_notice.get(doc_id)
        return _names(_read_lines(d / "home.txt")) if d else []

    def _notice_lines(self, name: str) -> list[str]:
        return [ln for d in self.vocab_dirs for ln in _read_lines(d / name)]

    @cached_property
    def stopwords(self) -> set[str]:
        words: set[str] = set()
        for ln in _read_lines(self.data_dir / "stopwords.txt"):
            words.update(ln.split())
        return words | {w for w in self.home_names if is_chinese(w)}

    @cached_property
    def en_stopwords(self) -> set[str]:
        words = {w for ln in _read_lines(self.data_dir / "stopwords_en.txt") for w in ln.split()}
        return words | {n for n in self.home_names if not is_chinese(n)}

    @cached_property
    def glossary(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for ln in _read_lines(self.data_dir / "glossary.tsv") + self._notice_lines("glossary.tsv"):
            term, _, exp = ln.partition("\t")
            out[term.strip().lower()] = exp.split()
        return out

    @cached_property
    def unit_aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for ln in self._notice_lines("units.tsv"):
            unit, _, aliases = ln.partition("\t")
            out.setdefault(unit.strip(), []).extend(a.strip() for a in aliases.split("|") if a.strip())
        return out

    @cached_property
    def refusal_cues(self) -> list[tuple[str, re.Pattern]]:
        out = []
        for ln in _read_lines(self.data_dir / "refusal.tsv"):
            kind, _, pattern = ln.partition("\t")
            out.append((kind.strip(), re.compile(pattern.strip(), re.IGNORECASE)))
        return out

    @cached_property
    def terms(self) -> list[str]:
        """The notices' own terms (the words of each terms.txt)."""
        return [ln.split()[0] for ln in self._notice_lines("terms.txt") if ln.split()]

    @cached_property
    def places(self) -> list[str]:
        """Other places: a question about one of them (not about the notice's own) is another government's."""
        return _names(_read_lines(self.data_dir / "places.txt"))

    @cached_property
    def home_names(self) -> list[str]:
        """Names of the notices' own place (home.txt of each notice; the issuing office adds its city)."""
        return _names(self._notice_lines("home.txt"))

    @cached_property
    def jieba(self):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        for path in [self.data_dir / "userdict.txt", *(d / "terms.txt" for d in self.vocab_dirs)]:
            if path.is_file():
                tok.load_userdict(str(path))
        for w in self.extra_words:
            tok.add_word(w, 100)
        return tok

    # --- tokenisation -------------------------------------------------------------------------
    def zh_tokens(self, text: str) -> list[str]:
        """Cached: the same glossary terms and sentences are tokenised on every question."""
        cache = self.__dict__.setdefault("_token_cache", {})
        tokens = cache.get(text)
        if tokens is None:  # safe under threads: a racing clear() only costs a recomputation
            if len(cache) > 20000:
                cache.clear()
            tokens = cache[text] = self._zh_tokens(text)
        return list(tokens)

    def _zh_tokens(self, text: str) -> list[str]:
        """Search-mode jieba words without stopwords and punctuation, plus the bigram that joins a
        single character to the next word, so BM25 survives segmentation differences between a
        question and the notice (在/用/地上 → 用地)."""
        text = normalise(text).lower()
        words = [w for w in self.jieba.lcut(text) if w.strip() and not PUNCT.match(w)]
        tokens: list[str] = []
        for i, w in enumerate(words):
            if w in self.stopwords:
                continue
            if len(w) > 2:
                tokens.extend(t for t in self.jieba.lcut_for_search(w) if t not in self.stopwords)
            elif len(w) == 2 or not CJK.match(w):
                tokens.append(w)
            elif i + 1 < len(words) and CJK.match(words[i + 1]):
                joined = w + words[i + 1][0]
                if joined not in self.stopwords:
                    tokens.append(joined)
        return tokens

    def en_words(self, text: str) -> list[str]:
        words = (CLITIC.sub("", w) for w in LATIN_WORD.findall(normalise(text).lower()))  # who's → who
        return [w for w in words if w and w not in self.en_stopwords]

    def content_words(self, text: str) -> list[str]:
        """Words that carry topic (jieba words without stopwords; English words without stopwords)."""
        text = normalise(text).lower()
        zh = [
            w
            for w in self.jieba.lcut(text)
            if len(w) >= 2 and CJK.search(w) and w not in self.stopwords and not (len(w) == 2 and w[1] == "的")
        ]  # 用的 / 级的: a character and 的 is no word of a topic
        return zh + [w for w in self.en_words(text) if len(w) >= 2]

    def expand(self, text: str) -> list[str]:
        """Notice terms that the glossary maps the question's words to."""
        low = normalise(text).lower()
        out: list[str] = []
        en = set(LATIN_WORD.findall(low))
        for term, exp in self.glossary.items():
            if is_chinese(term):
                hit = term in low
            elif not LATIN_WORD.fullmatch(term):  # a phrase or symbol ("sell abroad", "r&d"): match as a whole
                hit = re.search(rf"\b{re.escape(term)}\b", low) is not None
            else:
                hit = term in en
            if hit:
                out.extend(exp)
        return out
