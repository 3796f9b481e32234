"""Normalise and route a question: its kind, language, clause numbers, unit, follow-up context.

The patterns here describe how people ask about any notice of this style (第N条, 责任单位, 文号,
有效期 …); the notice's own vocabulary (unit names and aliases, glossary, places, refusal cues)
comes from the parsed notices and the data files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import CN_NUM, cn_to_int
from .lexicon import Lexicon, is_chinese, normalise
from .records import Notice, Query

NUM = rf"(?:\d+|{CN_NUM})"
ZH_CLAUSE = re.compile(rf"第\s*({NUM})\s*(?:条|條|项|項|款|点|點|个措施|個措施|项措施|部分)|(?:措施|条款)\s*({NUM})(?![\d])|^\s*({CN_NUM})、")
EN_WORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}
EN_ORD = {w: i for i, w in enumerate(
    ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth"])}
EN_CLAUSE = re.compile(
    r"\b(?:article|clause|measure|item|section|point|paragraph)s?\s*(?:no\.?|number|#)?\s*(\d+|"
    + "|".join(EN_WORDS) + r")\b"
    r"|\b(\d+)(?:st|nd|rd|th)?\s+(?:article|clause|measure|item)\b"
    r"|\b(" + "|".join(EN_ORD) + r")\s+(?:article|clause|measure|item)\b",
    re.IGNORECASE,
)

META = {
    "doc_number": r"文号|发文字号|文件号|字号|document (?:number|no)|reference number|\bdoc(?:ument)? no",
    "office": r"(?:哪个|什么|哪家|哪一个)(?:单位|部门|机关|机构|政府).{0,12}(?:印发|发布|发的|出的|下发|制定|颁布|发出)|谁(?:发|印发|出|颁布|发布)的|发文(?:机关|单位)|印发单位|who issued|issuing (?:body|authority|office|department)|which (?:office|department|authority|body) (?:issued|published)",
    "issued": r"(?:哪天|什么时候|何时|哪年|几号|哪一天|啥时候)(?:发|印发|发布|出台|下发|颁布|出的|出来)|(?:发布|印发|发文|出台|颁布|成文)(?:的)?(?:日期|时间)|when (?:was|were|did) .{0,30}(?:issued|published|released|come out)|issue date|date of issue|on what date|what date",
    "effective": r"(?:什么时候|何时|哪天|啥时候)(?:开始|起)?(?:执行|实施|施行|生效|算)|(?:从|自)(?:什么时候|何时|哪天|啥时候)(?:开始|起)?(?:执行|实施|施行|生效|算)?|起算|生效|开始执行|take effect|effective (?:from|date)|come into (?:force|effect)",
    "validity": r"有效期|有效吗|还有效|仍有效|还管用|还能用|过期|到期|失效|截止|期限|废止|还在执行|还执行|still (?:valid|in force|effective|apply|applies|active)|expire|expiry|expiration|valid until|in force|validity|how long (?:is|does) .{0,20}(?:valid|last)",
    "plan": r"实施方案|实施细则|具体办法|配套细则|细则|implementation plan|implementing rules|detailed rules",
    "count": r"(?:几|多少)(?:条|项|个方面|个措施|方面)|共有.{0,6}(?:条|项)|一共.{0,6}(?:条|项)|how many (?:measures|clauses|articles|points|items)",
    "goal": r"(?<!项)目的|(?<!项)目标|宗旨|初衷|干成什么|为了什么|为什么出台|总体要求|指导思想|打造成|打造什么|(?:搞|建|变|弄)成(?:个|一个)?(?:啥|什么)样|overall goal|\bgoal\b|\baim\b|purpose|objective",
}
META_RE = {k: re.compile(v, re.IGNORECASE) for k, v in META.items()}
COMPARE = re.compile(r"(?:跟|和|与|同).{0,8}比|相比|对比|比较|哪个(?:好|强|大|高|优惠)|compare|versus|\bvs\.?|better than", re.I)
STRONG_META = {"doc_number", "office", "count", "plan"}
DOC_REF = re.compile(r"文件|通知|政策|措施|本办法|这个|这份|该|此|policy|notice|document|measures|regulation", re.I)
UNITS_CUE = re.compile(
    r"责任单位|哪个部门|哪些部门|什么部门|哪个单位|哪些单位|什么单位|哪家|谁负责|谁来负责|谁管|找谁|谁来管|归谁|由谁|"
    r"哪个局|哪些局|牵头|落实|联系谁|联系哪|咨询哪|找哪|哪个机构|哪些机构|主管|对口|(?:哪几个|几个|哪几家)(?:部门|单位|局)"
    r"|who (?:is|are) (?:responsible|in charge)|which (?:department|unit|agenc|bureau|office|authorit|bod)"
    r"|who (?:should|do|can|would) (?:i|we) (?:contact|call|ask|talk|approach)|who handles|responsible (?:unit|department|bod)"
    r"|\bcontact\b|which .{0,20}(?:handle|in charge)",
    re.IGNORECASE,
)
REVERSE_CUE = re.compile(
    r"哪些|哪几|几条|哪条|哪一条|什么措施|负责什么|管什么|管哪|涉及|参与|的事|牵头了|负责了|是.{0,6}责任单位"
    r"|which (?:measures|clauses|articles|items)|what (?:measures|clauses|articles)|responsible for|involv|in charge of|take part",
    re.IGNORECASE,
)
FOLLOWUP_CUE = re.compile(
    r"这条|该条|此条|这项|该项|此项|上面|上述|刚才|前面|那个|这个|那条|它|其中|里面|那这|那么|那最|^那|呢[？?]?$|具体|这些|那些"
    r"|这事|这件事|这块|那块|这方面|这种"
    r"|\b(?:this|that|it|these|those|above|same|there)\b|^(?:and|so|what about)\b",
    re.IGNORECASE,
)
FIGURE_CUE = re.compile(
    r"多少|几成|几个|几天|几年|几亩|比例|比重|占比|百分之|金额|额度|数额|最高|最多|最少|最低|上限|下限|标准是|多大|多长|多久|几倍"
    r"|how (?:much|many|long|large|big)|what (?:percentage|proportion|share|amount|rate|ratio)|maximum|minimum|at least|at most|cap\b",
    re.IGNORECASE,
)
# What the figure is about: the unit a stated number must carry to answer it.
FIGURE_KIND = [
    ("money", re.compile(r"钱|元|奖金|奖励|补贴|补助|资金|金额|额度|投资额|贴息|how much money|amount|reward|subsid|bonus|grant|yuan|rmb", re.I)),
    ("area", re.compile(r"亩|平米|平方米|公顷|面积|acre|square|hectare|mu\b", re.I)),
    ("time", re.compile(r"工作日|几天|多少天|多久|多长时间|几个月|how long|days|months", re.I)),
]
FIGURE_VALUE = {
    "money": re.compile(r"\d[\d.,]*\s*(?:元|万元|亿元|万|亿)"),
    "area": re.compile(r"\d[\d.,]*\s*(?:亩|平方米|平米|公顷)"),
    "time": re.compile(r"\d[\d.,]*\s*(?:个)?(?:工作日|天|日|个月|年)"),
    "any": re.compile(r"\d|[一二三四五六七八九十]+(?:成|倍)|百分之"),
}
# Words that only carry the asking (handle/give/want), never the topic.
FILLER = {"handle", "handles", "handled", "deal", "departments", "department", "units", "unit", "charge", "give",
          "gives", "offer", "responsible", "contact", "call", "calling", "talk", "ask", "agency", "agencies",
          "bureau", "bureaus", "office", "offices", "给", "最多", "最少", "能给", "可以", "应该", "东西"}
CITED = re.compile(rf"【第({NUM})条")


def _num(s: str | None) -> int | None:
    if not s:
        return None
    s = s.lower()
    if s in EN_WORDS:
        return EN_WORDS[s]
    if s in EN_ORD:
        return EN_ORD[s]
    return cn_to_int(re.sub(r"(st|nd|rd|th)$", "", s))


@dataclass
class Router:
    notices: list[Notice]
    lexicon: Lexicon

    def __post_init__(self) -> None:
        # alias (lower case) -> unit as written in the notice; longest aliases are matched first.
        aliases: dict[str, str] = {}
        written = {u for n in self.notices for c in n.clauses for u in c.units}
        for unit in written:
            aliases[unit.lower()] = unit
            if unit.startswith("市") and len(unit) >= 4:
                aliases.setdefault(unit[1:].lower(), unit)
        for unit, names in self.lexicon.unit_aliases.items():
            if unit in written:
                for a in names:
                    aliases.setdefault(a.lower(), unit)
        self.unit_aliases = dict(sorted(aliases.items(), key=lambda kv: -len(kv[0])))
        self.corpus_text = "\n".join(c.text for n in self.notices for c in n.clauses) + "\n" + "\n".join(
            f"{n.title}{n.preamble}{n.effective}{n.office}" for n in self.notices)
        self.corpus_lower = self.corpus_text.lower()  # lowered once: `in` checks run on every question
        self.max_clause = max((c.number for n in self.notices for c in n.clauses), default=0)

    # --- pieces ------------------------------------------------------------------------------
    def clause_numbers(self, text: str) -> list[int]:
        nums: list[int] = []
        for m in ZH_CLAUSE.finditer(text):
            n = _num(m.group(1) or m.group(2) or m.group(3))
            if n is not None and n not in nums:
                nums.append(n)
        for m in EN_CLAUSE.finditer(text):
            n = _num(m.group(1) or m.group(2) or m.group(3))
            if n is not None and n not in nums:
                nums.append(n)
        return nums

    def find_unit(self, text: str) -> str | None:
        low = text.lower()
        for alias, unit in self.unit_aliases.items():
            if is_chinese(alias):
                if alias in low:
                    return unit
            elif re.search(rf"\b{re.escape(alias)}\b", low):
                return unit
        return None

    def refusal_cue(self, text: str) -> str | None:
        for kind, pattern in self.lexicon.cues:
            if pattern.search(text):
                return kind
        low = text.lower()
        for place in self.lexicon.places:
            if place in low and place not in self.corpus_lower and (
                    not self._mentions_home(low) or COMPARE.search(low)):
                return "place"
        return None

    def _mentions_home(self, low: str) -> bool:
        """Does the question name the notice's own city (from the issuing office, or its English names)?"""
        for n in self.notices:
            city = re.match(r"(.+?市)", n.office or n.title)
            if city and city[1].removesuffix("市") in low:
                return True
        return any(re.search(rf"\b{re.escape(name)}\b", low) for name in self.lexicon.home_names)

    def knows(self, word: str) -> bool:
        """Is the word in the notices, or one the glossary maps to them?"""
        glossary = self.lexicon.glossary
        return word in self.corpus_lower or word in glossary or (
            is_chinese(word) and any(word in g for g in glossary))

    def coverage(self, text: str, off_topic_words: frozenset[str] = frozenset()) -> float:
        """Share of the question's content words that the notices (or the glossary) know, minus the
        share of unknown words that belong to typical off-topic questions (所得税, 签证 …)."""
        words = self.lexicon.content_words(text)
        if not words:
            return 0.0
        known = sum(self.knows(w) for w in words)
        off = sum(1 for w in words if w in off_topic_words and not self.knows(w))
        return (known - off) / len(words)

    def topic_words(self, text: str) -> list[str]:
        """Content words left after removing the asking phrases (who handles it, how much, this one…).

        Empty for a pure follow-up such as 这条找哪个部门？ or "And which departments handle that?"."""
        for rx in (UNITS_CUE, FIGURE_CUE, FOLLOWUP_CUE, *META_RE.values()):
            text = rx.sub(" ", text)
        return [w for w in self.lexicon.content_words(text) if w not in FILLER]

    def carried_clause(self, history: list[dict]) -> int | None:
        for turn in reversed(history):
            if turn.get("role") == "assistant":
                m = CITED.search(str(turn.get("content", "")))
                return _num(m.group(1)) if m else None
        return None

    def _about_document(self, text: str, metas: list[str]) -> bool:
        """Ambiguous document facts (dates, validity, goal) need the question to be about the notice.

        "驾照快到期了" mentions expiry but not the notice; "这个政策还有效吗" does.
        """
        if set(metas) & STRONG_META:
            return True
        if DOC_REF.search(text):
            return True
        rest = text
        for k in metas:
            rest = META_RE[k].sub("", rest)
        return bool(self.lexicon.content_words(rest)) and self.coverage(rest) >= 0.5

    # --- route -------------------------------------------------------------------------------
    def route(self, question: str, history: list[dict] | None = None) -> Query:
        history = history or []
        text = normalise(question)
        lang = "zh" if is_chinese(text) else "en"
        q = Query(text=text, lang=lang, kind="fact", search_text=text)

        cue = self.refusal_cue(text)
        if cue:
            q.kind, q.reason = "oos", cue
            return q

        q.clauses = self.clause_numbers(text)
        q.followup = bool(history) and not q.clauses and (
            bool(FOLLOWUP_CUE.search(text)) or not self.topic_words(text))
        if q.followup:
            q.carried = self.carried_clause(history)
            if q.carried is None:  # no citation to lean on: search with the previous question too
                prev = next((t.get("content", "") for t in reversed(history) if t.get("role") == "user"), "")
                q.search_text = f"{prev} {text}".strip()
        q.asks_figure = bool(FIGURE_CUE.search(text))

        metas = [k for k, rx in META_RE.items() if rx.search(text)]
        unit = self.find_unit(text)
        reverse = bool(unit and REVERSE_CUE.search(text) and not q.clauses)
        if metas and not (metas == ["count"] and (q.clauses or reverse)) and self._about_document(text, metas):
            q.kind, q.meta = "meta", ",".join(metas)
        elif reverse:
            q.kind, q.unit = "reverse", unit
        elif UNITS_CUE.search(text):
            q.kind = "units"
        elif q.clauses:
            q.kind = "lookup"
        return q


class ScopeGate:
    """Decides whether a topical question is about the notices at all.

    score = (best similarity to a clause or sentence) − (best similarity to a typical off-topic
    hotline question from data/out_of_scope.txt) + coverage_weight × (share of the question's words
    the notices or glossary know). Comparing with off-topic examples, not just an absolute
    threshold, keeps colloquial in-scope questions (low similarity to everything) answerable.
    """

    def __init__(self, router: Router, embeddings, cache_dir: Path | None, coverage_weight: float, threshold: float):
        self.router = router
        self.coverage_weight = coverage_weight
        self.threshold = threshold
        path = router.lexicon.data_dir / "out_of_scope.txt"
        examples = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
                    if ln.strip() and not ln.startswith("#")]
        self.vectors = self._vectors(examples, embeddings, cache_dir)
        self.off_topic_words = frozenset(
            w for e in examples for w in router.lexicon.content_words(e) if not router.knows(w))

    @staticmethod
    def _vectors(examples: list[str], embeddings, cache_dir: Path | None) -> np.ndarray:
        key = hashlib.sha256(("\n".join(examples) + getattr(embeddings, "model_id", "")).encode()).hexdigest()[:16]
        cached = cache_dir / f"out-of-scope-{key}.npy" if cache_dir else None
        if cached and cached.exists():
            return np.load(cached)
        vectors = np.asarray(embeddings.embed_documents(examples), dtype="float32")
        if cached:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, vectors)
            except OSError:
                pass
        return vectors

    def score(self, q: Query, best_similarity: float, vector: list[float]) -> float:
        off_topic = float((self.vectors @ np.asarray(vector, dtype="float32")).max()) if len(self.vectors) else 0.0
        coverage = self.router.coverage(q.text, self.off_topic_words)
        value = best_similarity - off_topic + self.coverage_weight * coverage
        q.reason = f"scope={value:+.3f} (dense {best_similarity:.3f}, off-topic {off_topic:.3f}, coverage {coverage:.2f})"
        return value

    def in_scope(self, q: Query, best_similarity: float, vector: list[float]) -> bool:
        return self.score(q, best_similarity, vector) >= self.threshold


def figure_kind(text: str) -> str:
    for name, rx in FIGURE_KIND:
        if rx.search(text):
            return name
    return "any"


def states_figure(kind: str, quoted: str) -> bool:
    return bool(FIGURE_VALUE[kind].search(quoted))
