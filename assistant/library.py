"""The notices of a corpus as a library: which notice a question or a conversation is about.

A question names a notice by its 文号 (in any bracket form), by its title or by the distinctive words of
its title (自贸试验区, 工业互联网 …); a follow-up is about the notice its previous answer cited. With one
notice there is nothing to choose; with several and no clue, callers are asked which one.
"""

from __future__ import annotations

import re
from pathlib import Path

from .lexicon import Lexicon
from .records import Notice
from .textnorm import cn_to_int, is_chinese

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
# Citation tags in an earlier answer: 【第N条 标题】（文号）, 【文号 第N条 标题】, or 【标题】（文号） for the document.
TAG = re.compile(
    r"【第([^条】\s]{1,6})条\s*([^】]*)】（([^）]+)）"
    r"|【(\S+〔\d{4}〕\d+号)\s+第([^条】\s]{1,6})条\s*([^】]*)】"
    r"|【([^】]+)】（([^）]+)）"
)


def number_pattern(doc_number: str) -> re.Pattern:
    """A 文号 with any bracket form and spacing: 国发〔2018〕38号 = 国发[2018]38号 = 国发（2018）38 号."""
    m = re.match(r"(.+?)〔(\d{4})〕(\d+)号", doc_number)
    if not m:
        return re.compile(re.escape(doc_number))
    year = rf"[〔\[［(（]?\s*{m[2]}\s*[〕\]］)）]?"
    return re.compile(rf"{re.escape(m[1])}\s*(?:{year})?\s*(?<!\d){m[3]}\s*号")  # 国发38号 too


def english_names(office: str, data_dir: Path) -> set[str]:
    """English words naming an issuing body: its region in pinyin (安徽省… → anhui) and the English names of
    its kind of body (data/bodies.tsv: 国务院 → state council)."""
    from pypinyin import lazy_pinyin

    out: set[str] = set()
    if m := re.match(r"(.{2,4}?)[省市]", office):
        out.add("".join(lazy_pinyin(m[1])).lower())
    for line in (data_dir / "bodies.tsv").read_text(encoding="utf-8").splitlines():
        body, _, names = line.partition("\t")
        if line.startswith("#") or not names:
            continue
        if office.endswith(body) or office == body:
            out |= {x.strip().lower() for x in names.split("|") if x.strip()}
            break
    return out


def kind_names(kind: str, data_dir: Path) -> set[str]:
    """English names of a kind of document (data/kinds.tsv: 行动计划 → action plan)."""
    for line in (data_dir / "kinds.tsv").read_text(encoding="utf-8").splitlines():
        ending, _, names = line.partition("\t")
        if not line.startswith("#") and names and ending == kind:
            return {x.strip().lower() for x in names.split("|") if x.strip()}
    return set()


def mentions(low: str, word: str) -> bool:
    """Does the lower-cased text contain the word (English words only as whole words)?"""
    if word.isascii():
        return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low) is not None
    return word in low


def abbreviates(short: str, title: str) -> bool:
    """Is `short` an abbreviation of a phrase of the title (自贸区 of 自由贸易试验区): its characters in order,
    starting with the phrase's first, within a short span?"""
    start = title.find(short[0])
    while start >= 0:
        pos, ok = start, True
        for ch in short[1:]:
            pos = title.find(ch, pos + 1)
            if pos < 0 or pos - start > 3 * len(short):
                ok = False
                break
        if ok:
            return True
        start = title.find(short[0], start + 1)
    return False


def document_kind(title: str, lexicon: Lexicon) -> str:
    """The last four or so characters of generic words a title ends with (若干政策, 实施方案, 行动计划),
    or "": they tell apart a notice and its attachment, though no one title word does."""
    words = lexicon.jieba.lcut(re.sub(r"[（(][^）)]*[）)]", "", title))
    kind = ""
    while words and words[-1] in GENERIC and len(kind) < 4:
        kind = words.pop() + kind
    return kind if len(kind) >= 4 else ""


class Library:
    def __init__(self, notices: list[Notice], lexicon: Lexicon, token_families: dict[str, set[str]] | None = None):
        """token_families (a word → the families whose measures use it, from the BM25 index): a title word
        that another family's measures also use names nothing (产业 in one title, 产业基金 in another's text)."""
        self.notices = notices
        self.by_id = {n.doc_id: n for n in notices}
        # 文号 patterns by their issuer prefix (国发, 市政办发 …), compiled on first use: a question is only
        # checked against the notices whose prefix it contains.
        self._prefixes: dict[str, list[Notice]] = {}
        for n in notices:
            if m := re.match(r"(.+?)〔", n.doc_number):
                self._prefixes.setdefault(m[1], []).append(n)
        self._patterns: dict[str, re.Pattern] = {}
        self.lexicon = lexicon
        # A notice is named by the words of its title and of its issuing body (安徽省人民政府办公厅 → 安徽省,
        # 安徽; 国务院); each notice keeps the words no other notice has.
        words, declared = {}, {}
        self.kinds: dict[str, set[str]] = {}  # doc_id → its kind of document, in Chinese and English
        for n in notices:
            ws = {
                w
                for w in lexicon.jieba.lcut_for_search(f"{n.title} {n.office}")
                if len(w) >= 2 and is_chinese(w) and w not in GENERIC
            }
            ws |= {w[:-1] for w in ws if w.endswith(("省", "市", "区", "县")) and len(w) >= 3}
            if kind := document_kind(n.title, lexicon):  # 若干政策 vs 行动计划: which document of a family
                self.kinds[n.doc_id] = {kind, *kind_names(kind, lexicon.data_dir)}
                ws |= self.kinds[n.doc_id]
            # its place's names from its vocabulary (xi'an …) and its office in English name it whatever
            # other notices' measures say
            declared[n.doc_id] = set(lexicon.home_names_of(n.doc_id)) | english_names(n.office, lexicon.data_dir)
            words[n.doc_id] = ws | declared[n.doc_id]
        # Shared means shared with another family (a notice and its attachments count as one).
        family = {n.doc_id: n.parent or n.doc_id for n in notices}
        by_family: dict[str, set[str]] = {}
        for doc_id, ws in words.items():
            by_family.setdefault(family[doc_id], set()).update(ws)
        shared = {w for w in set().union(*by_family.values()) if sum(w in ws for ws in by_family.values()) > 1}
        used = token_families or {}
        self.title_words = {
            k: {w for w in ws - shared if w in declared[k] or not (used.get(w, set()) - {family[k]})}
            for k, ws in words.items()
        }
        self.family = family
        self.families = len(by_family)  # notices with their attachments
        # Indexes so that naming a notice costs the same with ten notices or ten thousand: Chinese title
        # words by text (looked up from the question's substrings), English ones listed (whole words), and
        # which titles hold each character (abbreviation candidates).
        self._zh_words: dict[str, list[str]] = {}
        self._en_words: dict[str, list[str]] = {}
        for k, ws in self.title_words.items():
            for w in ws:
                (self._en_words if w.isascii() else self._zh_words).setdefault(w, []).append(k)
        self._longest = max(map(len, self._zh_words), default=0)
        self._all_ids = set(self.by_id)
        self._order = {n.doc_id: i for i, n in enumerate(notices)}  # corpus order, for ties
        self._title_chars: dict[str, set[str]] = {}
        for n in notices:
            for ch in set(n.title):
                self._title_chars.setdefault(ch, set()).add(n.doc_id)

    def _numbered(self, text: str, full: bool = False) -> list[Notice]:
        """The notices whose 文号 the text contains (or is, with full=True), in any bracket form."""
        out = []
        for prefix, notices in self._prefixes.items():
            if prefix not in text:
                continue
            for n in notices:
                rx = self._patterns.get(n.doc_number)
                if rx is None:
                    rx = self._patterns[n.doc_number] = number_pattern(n.doc_number)
                if rx.fullmatch(text.strip()) if full else rx.search(text):
                    out.append(n)
        return out

    def numbered(self, text: str) -> bool:
        """Does the text contain some notice's 文号?"""
        return bool(self._numbered(text))

    @property
    def default(self) -> Notice | None:
        """The notice a question that names none is about: the only one, or the only main notice (the
        others being its attachments); None when the corpus holds several notices."""
        mains = [n for n in self.notices if n.parent is None]
        return mains[0] if len(mains) == 1 else None

    def named(self, text: str) -> Notice | None:
        """The notice a question names (文号, title, distinctive title words), or None."""
        return self.naming(text)[0]

    def naming(self, text: str) -> tuple[Notice | None, bool]:
        """(the notice a question names, whether it names the whole family): words that a notice and its
        attachments share (工业互联网, their common 文号) name the main notice and its attachments alike."""
        by_number = self._numbered(text)
        candidates = by_number or self.notices
        for n in candidates:
            if n.title and n.title in text:
                return n, False
        low = text.lower()
        allowed = self._all_ids if candidates is self.notices else {n.doc_id for n in candidates}
        scores: dict[str, int] = {}  # only the notices something in the question points to
        for w in self._mentioned(low):
            for k in self._zh_words.get(w, ()) or self._en_words.get(w, ()):
                if k in allowed:
                    scores[k] = scores.get(k, 0) + 1
        for w in [w for w in self.lexicon.content_words(text) if len(w) >= 3]:
            owners = set.intersection(*(self._title_chars.get(ch, set()) for ch in w)) & allowed
            for k in owners:
                title = self.by_id[k].title
                if w not in title and abbreviates(w, title):
                    scores[k] = scores.get(k, 0) + 1
        best = max(scores.values(), default=0)
        order = self._order if candidates is self.notices else {n.doc_id: i for i, n in enumerate(candidates)}
        top = sorted((self.by_id[k] for k, v in scores.items() if v == best), key=lambda n: order[n.doc_id])
        if best > 0 and len({self.family[n.doc_id] for n in top}) == 1:
            return next((n for n in top if n.parent is None), top[0]), len(top) > 1  # a tie: the main notice
        if by_number:
            return next((n for n in by_number if n.parent is None), by_number[0]), len(by_number) > 1
        return None, False

    def members(self, doc_id: str) -> set[str]:
        """The notice and the others of its family (its parent and attachments)."""
        family = self.family[doc_id]
        return {k for k, f in self.family.items() if f == family}

    def _mentioned(self, low: str) -> set[str]:
        """The title words the lower-cased text contains (English ones as whole words)."""
        found = {w for w in self._en_words if mentions(low, w)}
        for i in range(len(low)):
            for j in range(i + 2, min(len(low), i + self._longest) + 1):
                if low[i:j] in self._zh_words:
                    found.add(low[i:j])
        return found

    def names_deliberately(self, text: str, n: Notice) -> bool:
        """Does the text name this notice by 文号, full title or kind of document (这个行动计划, the action
        plan), not just by words its title shares with the topic (工业用地)?"""
        low = text.lower()
        return self.names_exactly(text) or any(mentions(low, k) for k in self.kinds.get(n.doc_id, ()))

    def names_exactly(self, text: str) -> bool:
        """Does the text name a notice by its 文号 or its full title (not just by some of its words)?"""
        return bool(self._numbered(text)) or any(n.title and n.title in text for n in self.notices)

    def without_names(self, text: str, n: Notice) -> str:
        """The question without the words that name the notice (its title, 文号, issuing body, title
        words): they say which notice, not which measure, and would pull retrieval to any measure that
        repeats them."""
        out = text
        for name in (n.title, n.notice_title, n.office):
            if name:
                out = out.replace(name, " ")
        if n.doc_number:
            out = number_pattern(n.doc_number).sub(" ", out)
        for w in sorted(self.title_words.get(n.doc_id, ()), key=len, reverse=True):
            out = out.replace(w, " ")
        return re.sub(r"\s+", " ", out).strip()

    def resolve(self, doc: str) -> Notice | None:
        """A notice by doc_id or by 文号 (any bracket form; the main notice of that number)."""
        if doc in self.by_id:
            return self.by_id[doc]
        hits = self._numbered(doc, full=True)
        return next((n for n in hits if n.parent is None), hits[0] if hits else None)

    def cited(self, answer_text: str) -> tuple[Notice | None, int | None]:
        """The notice (and clause) the first citation tag of an earlier answer names."""
        for m in TAG.finditer(answer_text):
            if m[1] or m[5]:
                number = cn_to_int(m[1] or m[5])
                title, doc_number = (m[2], m[3]) if m[1] else (m[6], m[4])
                title = title.strip()
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
                title, doc_number = m[7].strip(), m[8]
                hits = [n for n in self.notices if n.doc_number == doc_number and n.title == title]
                if hits:
                    return hits[0], None
        return None, None
