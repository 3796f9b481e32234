"""The notices of a corpus as a library: which notice a question or a conversation is about.

A question names a notice by its 文号 (in any bracket form), by its title or by the distinctive words of
its title (自贸试验区, 工业互联网 …); a follow-up is about the notice its previous answer cited. With one
notice there is nothing to choose; with several and no clue, callers are asked which one.
"""

from __future__ import annotations

import re

from .lexicon import Lexicon
from .records import Notice

# Words every notice title has; they do not tell notices apart.
GENERIC = {
    "关于",
    "印发",
    "通知",
    "若干",
    "措施",
    "政策",
    "意见",
    "办法",
    "方案",
    "实施",
    "进一步",
    "加快",
    "推进",
    "促进",
    "支持",
    "发展",
    "加大",
    "力度",
    "有关",
    "工作",
    "人民政府",
    "办公厅",
    "国务院",
    "行动计划",
    "计划",
}
TAG = re.compile(r"【第([^条】\s]{1,6})条\s*([^】]*)】（([^）]+)）|【([^】]+)】（([^）]+)）")


def number_pattern(doc_number: str) -> re.Pattern:
    """A 文号 with any bracket form and spacing: 国发〔2018〕38号 = 国发[2018]38号 = 国发（2018）38 号."""
    m = re.match(r"(.+?)〔(\d{4})〕(\d+)号", doc_number)
    if not m:
        return re.compile(re.escape(doc_number))
    return re.compile(rf"{re.escape(m[1])}\s*[〔\[［(（]?\s*{m[2]}\s*[〕\]］)）]?\s*{m[3]}\s*号")


class Library:
    def __init__(self, notices: list[Notice], lexicon: Lexicon):
        self.notices = notices
        self.by_id = {n.doc_id: n for n in notices}
        self._numbers = [(number_pattern(n.doc_number), n) for n in notices if n.doc_number]
        words = {
            n.doc_id: {w for w in lexicon.content_words(n.title) if w not in GENERIC and len(w) >= 2} for n in notices
        }
        shared = (
            {w for w in set().union(*words.values()) if sum(w in ws for ws in words.values()) > 1}
            if len(notices) > 1
            else set()
        )
        self.title_words = {k: ws - shared for k, ws in words.items()}

    @property
    def default(self) -> Notice | None:
        """The notice a question that names none is about: the only one, or the only main notice (the
        others being its attachments); None when the corpus holds several notices."""
        mains = [n for n in self.notices if n.parent is None]
        return mains[0] if len(mains) == 1 else None

    def named(self, text: str) -> Notice | None:
        """The notice a question names (文号, title, distinctive title words), or None."""
        by_number = [n for rx, n in self._numbers if rx.search(text)]
        candidates = by_number or self.notices
        for n in candidates:
            if n.title and n.title in text:
                return n
        low = text.lower()
        scores = {n.doc_id: sum(w in low for w in self.title_words[n.doc_id]) for n in candidates}
        best = max(scores.values(), default=0)
        top = [n for n in candidates if scores[n.doc_id] == best]
        if best > 0 and len(top) == 1:
            return top[0]
        if by_number:
            return next((n for n in by_number if n.parent is None), by_number[0])
        return None

    def cited(self, answer_text: str) -> tuple[Notice | None, int | None]:
        """The notice (and clause) the first citation tag of an earlier answer names."""
        from .textnorm import cn_to_int

        for m in TAG.finditer(answer_text):
            if m[1]:
                number, title, doc_number = cn_to_int(m[1]), m[2].strip(), m[3]
                hits = [
                    n
                    for n in self.notices
                    if n.doc_number == doc_number
                    and number is not None
                    and (c := n.clause(number)) is not None
                    and (not title or c.title == title)
                ]
                if hits:
                    return hits[0], number
            else:
                title, doc_number = m[4].strip(), m[5]
                hits = [n for n in self.notices if n.doc_number == doc_number and n.title == title]
                if hits:
                    return hits[0], None
        return None, None
