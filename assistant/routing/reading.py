"""Read a question as it was meant: traditional → simplified (OpenCC), invisible characters dropped,
s p a c e d - o u t characters joined, and words misheard by speech-to-text corrected against the
notices' own vocabulary by their sound (pypinyin): 练长 → 链长, 第八跳 → 第八条, 市商务据 → 市商务局.

A span of the question is corrected to a word of the notices when
- the span is not in the notices and not one of the notices' words or unit names;
- it sounds the same (tones ignored; zh/z, ch/c, sh/s, n/l, -ng/-n merged) and shares at least half of
  its characters with exactly one such word;
- a two-character span is a word of the question's own segmentation (so that 我是 in 我是区里 is not
  "corrected" to 我市), is not common in the general dictionary (连长 is rare enough to be a misheard
  链长, 事业 is not a misheard 实业), and becomes one of the notices' own terms (链长, a unit's short form),
  not just any word that they use (一是 is not a misheard 一事);
- a longer span does not just put a character before a word of the notices (就是资源规划局).
The corrections are reported, so that the answer can say how it read the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Invisible characters, and lone surrogates (no character at all; OpenCC cannot even encode them).
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\ud800-\udfff]")
# Three or more single characters separated by spaces (首 台 套 能 不 能): typed or transcribed one by one.
SPACED = re.compile(r"(?<![\u4e00-\u9fff])(?:[\u4e00-\u9fff][ \t\u3000]+){2,}[\u4e00-\u9fff](?![\u4e00-\u9fff])")
MIN_LEN, MAX_LEN = 2, 8
COMMON = 1000  # a two-character word this frequent in jieba's dictionary is no misheard one
# Sounds a caller's accent or a transcriber confuses (initials, then finals).
FUZZY = [("zh", "z"), ("ch", "c"), ("sh", "s")]
FUZZY_FINALS = [("ing", "in"), ("eng", "en"), ("ang", "an")]


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=8192)
def sound(ch: str) -> str:
    """The character's default reading, toneless, with the confusable sounds merged."""
    from pypinyin import Style, pinyin

    reading = pinyin(ch, style=Style.NORMAL, errors="ignore")
    s = reading[0][0] if reading and reading[0] else ch
    for a, b in FUZZY:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    if s.startswith("n"):
        s = "l" + s[1:]
    for a, b in FUZZY_FINALS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


def _key(word: str) -> tuple[str, ...]:
    return tuple(sound(ch) for ch in word)


@dataclass
class Reader:
    """vocabulary: the notices' words (terms, titles, units and their short forms, 第N条 …);
    corpus_text: the notices' text (a span found in it is never corrected);
    frequency: a word's count in the general dictionary (jieba's; 0 if not a word);
    words: the segmentation of a text (jieba's);
    terms: the notices' own terms (their terms.txt, quoted terms, unit names and short forms)."""

    vocabulary: Iterable[str]
    corpus_text: str
    frequency: Callable[[str], int]
    words: Callable[[str], list[str]]
    terms: set[str]
    _by_sound: dict[tuple[str, ...], list[str]] = field(init=False, default_factory=dict)
    _known: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        for w in dict.fromkeys(self.vocabulary):
            if MIN_LEN <= len(w) <= MAX_LEN and CJK_RUN.fullmatch(w):
                self._by_sound.setdefault(_key(w), []).append(w)
                self._known.add(w)

    def plain(self, text: str) -> str:
        """Simplified characters, no invisible characters, spaced-out characters joined."""
        text = INVISIBLE.sub("", text)
        text = _t2s()(text)
        return SPACED.sub(lambda m: re.sub(r"\s", "", m[0]), text)

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """The text with misheard words replaced, and the (heard, read) pairs."""
        fixes: list[tuple[str, str]] = []
        out: list[str] = []
        pos = 0
        for run in CJK_RUN.finditer(text):
            out.append(text[pos : run.start()])
            out.append(self._correct_run(run[0], fixes))
            pos = run.end()
        out.append(text[pos:])
        return "".join(out), fixes

    def _correct_run(self, run: str, fixes: list[tuple[str, str]]) -> str:
        i, out = 0, []
        segmented: set[str] | None = None  # the run's own words, computed when a two-character span needs them
        while i < len(run):
            best = None
            for n in range(min(MAX_LEN, len(run) - i), MIN_LEN - 1, -1):  # the longest span first
                span = run[i : i + n]
                if span in self.corpus_text or span in self._known:
                    break  # the notices write it so: nothing shorter here needs correcting either
                word = self._sounds_like(span)
                if word is None:
                    continue
                if n == 2:
                    if segmented is None:
                        segmented = set(self.words(run))
                    if span not in segmented or self.frequency(span) >= COMMON or word not in self.terms:
                        continue
                elif word[0] != span[0] and word[1:] == span[1:] and span[1:] in self._known:
                    continue  # 就是资源规划局: 是 belongs to the question, not to the unit
                best = word
                break
            if best is not None:
                fixes.append((run[i : i + len(best)], best))
                out.append(best)
                i += len(best)
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    def _sounds_like(self, span: str) -> str | None:
        if len(span) > 2 and self.frequency(span) > 0:
            return None  # a word of its own
        candidates = [
            w
            for w in self._by_sound.get(_key(span), ())
            if 2 * sum(a == b for a, b in zip(w, span, strict=True)) >= len(span)
        ]
        return candidates[0] if len(candidates) == 1 else None
