"""Vocabulary shared by routing and retrieval: jieba tokens, stopwords, glossary, unit aliases, cues.

Everything notice-specific lives in the data files of assistant/data/; this module only loads them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
LATIN_WORD = re.compile(r"[a-z][a-z0-9'\-]*")
PUNCT = re.compile(r"^[\W_]+$")
FULLWIDTH = str.maketrans("０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ　",
                          "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ")

EN_STOP = set(
    ["a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "was", "were", "be", "been", "do", "does", "did", "what", "which", "who", "whom", "whose", "how", "when", "where", "why", "can", "could", "should", "would", "will", "i", "we", "you", "my", "our", "your", "it", "its", "this", "that", "these", "those", "there", "their", "they", "me", "us", "any", "some", "about", "with", "from", "by", "at", "as", "into", "than", "then", "please", "tell", "show", "give", "me", "say", "says", "said", "get", "got", "have", "has", "had", "need", "want", "know", "xi'an", "xian", "city", "government", "notice", "policy", "policies", "measure", "measures", "article", "clause", "item", "text", "document", "does", "doesn't", "is", "there", "are", "there", "available", "offer", "provide", "provides", "much", "many", "much", "also", "if", "so", "up", "out", "new", "our", "company", "companies", "firm", "firms", "business", "businesses", "enterprise", "enterprises", "kind", "kinds", "sort", "type", "types", "e.g", "eg", "i'm", "we're", "it's"]
)


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def normalise(text: str) -> str:
    """Full-width to half-width letters/digits, collapse whitespace."""
    return re.sub(r"\s+", " ", text.translate(FULLWIDTH)).strip()


def _read_lines(path: Path) -> list[str]:
    return [ln.rstrip("\n") for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass
class Lexicon:
    data_dir: Path
    extra_words: list[str] = field(default_factory=list)  # e.g. unit names parsed from the notices

    @cached_property
    def stopwords(self) -> set[str]:
        words: set[str] = set()
        for ln in _read_lines(self.data_dir / "stopwords.txt"):
            words.update(ln.split())
        return words

    @cached_property
    def glossary(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for ln in _read_lines(self.data_dir / "glossary.tsv"):
            term, _, exp = ln.partition("\t")
            out[term.strip().lower()] = exp.split()
        return out

    @cached_property
    def unit_aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for ln in _read_lines(self.data_dir / "units.tsv"):
            unit, _, aliases = ln.partition("\t")
            out[unit.strip()] = [a.strip() for a in aliases.split("|") if a.strip()]
        return out

    @cached_property
    def cues(self) -> list[tuple[str, re.Pattern]]:
        out = []
        for ln in _read_lines(self.data_dir / "refusal.tsv"):
            kind, _, pattern = ln.partition("\t")
            out.append((kind.strip(), re.compile(pattern.strip(), re.IGNORECASE)))
        return out

    @cached_property
    def places(self) -> list[str]:
        # Chinese names are separated by spaces, English ones (which may contain spaces) by commas.
        words: list[str] = []
        for ln in _read_lines(self.data_dir / "places.txt"):
            parts = ln.split() if is_chinese(ln) else ln.split(",")
            words.extend(p.strip().lower() for p in parts if p.strip())
        return words

    @cached_property
    def home_names(self) -> list[str]:
        """English names of the notices' own city (Chinese names come from the issuing office)."""
        return [w.strip().lower() for ln in _read_lines(self.data_dir / "home.txt") for w in ln.split(",") if w.strip()]

    @cached_property
    def jieba(self):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.load_userdict(str(self.data_dir / "userdict.txt"))
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
        return [w for w in LATIN_WORD.findall(normalise(text).lower()) if w not in EN_STOP]

    def content_words(self, text: str) -> list[str]:
        """Words that carry topic (jieba words without stopwords; English words without stopwords)."""
        text = normalise(text).lower()
        zh = [w for w in self.jieba.lcut(text) if len(w) >= 2 and CJK.search(w) and w not in self.stopwords]
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
