"""Normalise and route a question: its kind, language, clause numbers, unit, follow-up context.

The patterns here describe how people ask about any notice of this style (第N条, 责任单位, 文号,
有效期 …); the notice's own vocabulary (unit names and aliases, glossary, places, refusal cues)
comes from the parsed notices and the data files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..lexicon import Lexicon
from ..library import Library, abbreviates
from ..records import Kind, Notice, Query
from ..textnorm import CN_NUM, FULL_DATE, NUM, QUOTED_TERM, cn_to_int, int_to_cn, is_chinese, is_english, normalise
from .cues import Cues, load_cues
from .reading import Reader

# 第5条 / 第五條 / 措施十 / 五、 / （三十七）: a clause by number. After 措施N the numeral must end the word
# (措施一共 is not measure 1).
ZH_CLAUSE = re.compile(
    rf"第\s*({NUM})\s*(?:条|條|项|項|款|点|點|个措施|個措施|项措施|部分)"
    rf"|(?:措施|条款)\s*({NUM})(?![\d一二三四五六七八九十百零〇两])(?=$|[^\u4e00-\u9fff]|[条项款的是讲说呢里中有])"
    rf"|^\s*({CN_NUM})、|[（(]\s*({NUM})\s*[)）]"
)
EN_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    )
}
EN_ORD = {
    w: i
    for i, w in enumerate(
        [
            "zeroth",
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
        ]
    )
}
EN_CLAUSE = re.compile(
    r"\b(?:article|clause|measure|item|section|point|paragraph)s?\s*(?:no\.?|number|#)?\s*\(?(\d+|"
    + "|".join(EN_WORDS)
    + r")\b"
    r"|\b(\d+)(?:st|nd|rd|th)?\s+(?:article|clause|measure|item)\b"
    r"|\b(" + "|".join(EN_ORD) + r")\s+(?:article|clause|measure|item)\b",
    re.IGNORECASE,
)
# Document facts that only a question about the document asks (the others — dates, validity, goal —
# also occur in everyday questions, so they need the question to refer to the notice).
STRONG_META = {"doc_number", "office", "count", "plan", "addressees", "copies", "approval", "disclosure"}
CARRIED_META = {"validity", "issued", "effective"}  # document facts a follow-up may ask of the cited measure
CITED = re.compile(rf"【(?:[^】\s]*\s)?第({NUM})条")


# Where one question holds several: after 。？！；, at a pause (a space between Chinese characters), before
# a connector that opens another ask (另外 …, ，还有 …, 二是 …), and in English after "?" or before
# ", and is/can/which …".
SENTENCE_END = re.compile(r"(?<=[？?！!；;。])")
PAUSE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
CONNECTOR = re.compile(
    r"(?=另外|此外|再就是|顺便问一下|再问一下)|(?<=[，,、：:])\s*(?=还有|以及|同时|[二三四五六]是|第[二三四五六][个点件条]?[，、：:]|其[二三四])"
)
EN_AND = re.compile(
    r",?\s+and\s+(?=(?:is|are|does|do|can|could|will|would|which|what|who|how|when|where|whether)\b)", re.IGNORECASE
)
# A segment that asks something (the others are context, joined to the ask that follows them).
ASKS = re.compile(
    r"[？?]|吗|呢|么|什么|啥|咋|哪|怎么|怎样|如何|多少|多久|多长时间|(?<![十百千万一二三四五六七八九\d])几[个条项天年]|能不能|能否|可不可以|有没有"
    r"|是不是|是否|谁|想(?:了解|问问|问一下|知道|咨询)|请问|请教|介绍一下|讲讲|说说"
    r"|\b(?:what|which|who|how|when|where|whether|is|are|does|do|can|could|will|would)\b",
    re.IGNORECASE,
)
# The caller announces several asks (想问三个事, 我问两个, Two things:): asks after a pause are asks of their own.
SEVERAL = re.compile(
    r"[两三四五几]个(?:事|问题|方面)?|[两三四五几](?:件|个)事|问[两三四五几]|\b(?:two|three|four|several) (?:things|questions)\b",
    re.I,
)
# "A和B分别/各…": one predicate for two subjects, asked of each.
EACH = re.compile(r"分别|各(?:有|自|是|在|找|归)|这两(?:块|个|条|项|方面|件)")
# An ask about the subjects said before it: "想建研发中心，同时想贷款，这两方面分别是哪条管的？"
BACK_EACH = re.compile(r"(?:这|那)?(?:两|俩|三|几)(?:个|块|方面|件|样|项)?(?:事|事情)?(?:分别|各自|各)|分别|各自")
# English asks listed with commas once the caller announced several ("Three questions: can…, will…")
EN_LIST = re.compile(
    r",\s+(?=(?:is|are|does|do|can|could|will|would|which|what|who|how|when|where|whether)\b)", re.IGNORECASE
)
AND = re.compile(r"和|跟|与|以及|还有")
MAX_PARTS = 5
# Something written like a 文号 (市政发〔2023〕31号, 国发2018 38号), whether or not a notice has it.
DOC_NUMBER_LIKE = re.compile(r"[\u4e00-\u9fff]{1,8}发\s*[〔［\[（(]?\s*\d{4}\s*[〕］\]）)]?\s*\d{1,4}\s*号")
LIST_MARK = re.compile(r"^(?:[一二三四五六]是|其[一二三四五六]|第[一二三四五六][个点件]?[，、：:])\s*")
LAST = re.compile(r"最后(?:一|那|这)?条|末条|\b(?:the )?(?:last|final) (?:measure|clause|article|item)\b", re.I)
# Where a measure applies (那这个是所有自贸区都适用吗): answered from its units bracket's 适用范围, if any.
APPLIES = re.compile(r"适用|哪些(?:地方|地区|区域|自贸区|试验区)|\bappl(?:y|ies) to\b", re.I)
# 这条 / 它 (one measure), not 这两条 / 这些 / 都 (several).
SINGULAR = re.compile(
    r"这条|该条|此条|这一条|那条|这项|该项|它(?!们)|\b(?:this|that) (?:one|measure|clause)\b|\bit\b", re.I
)
PLURAL = re.compile(r"这[两几些]|那[两几些]|都|分别|各|它们|\b(?:these|those|both|they|them)\b", re.I)
# "那科技局呢？", "And the Finance Bureau?": the previous question asked again of something else.
ELLIPSIS = re.compile(r"^(?:那|那么|还有)?.{1,24}呢[？?]?$|^(?:and |what about |how about )", re.IGNORECASE)


def _num(s: str | None) -> int | None:
    if not s:
        return None
    s = s.lower()
    if s in EN_WORDS:
        return EN_WORDS[s]
    if s in EN_ORD:
        return EN_ORD[s]
    return cn_to_int(re.sub(r"(st|nd|rd|th)$", "", s))


def _history_lang(history: list[dict]) -> str:
    for turn in reversed(history):
        if turn.get("role") == "user" and re.search(r"[A-Za-z\u4e00-\u9fff]", str(turn.get("content", ""))):
            text = str(turn["content"])
            return "zh" if is_chinese(text) and not is_english(text) else "en"
    return "zh"


@dataclass
class Router:
    notices: list[Notice]
    lexicon: Lexicon
    token_families: dict[str, set[str]] | None = None  # ClauseIndex.token_families: which notices use a word

    def __post_init__(self) -> None:
        self.cues: Cues = load_cues(self.lexicon.data_dir / "cues.toml")
        self.library = Library(self.notices, self.lexicon, self.token_families)
        self.titles = "\n".join(n.title for n in self.notices)
        self.measure_titles = "\n".join(c.title for n in self.notices for c in n.clauses)
        self.units = sorted({u for n in self.notices for c in n.clauses for u in c.units})
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
        # Each distinct passage once (notices repeat one another's sentences), so that a word a question
        # brings is looked for in as little text as possible; known() also remembers its answers.
        passages = [c.text for n in self.notices for c in n.clauses]
        passages += [f"{n.title}{n.preamble}{n.effective}{n.office}" for n in self.notices]
        passages += [p for n in self.notices for p in n.closing]  # 组织实施 and other closing paragraphs
        self.corpus_text = "\n".join(dict.fromkeys(passages))
        self._known: dict[str, bool] = {}
        self.corpus_lower = self.corpus_text.lower()  # lowered once: `in` checks run on every question
        self.max_clause = max((c.number for n in self.notices for c in n.clauses), default=0)
        # Terms the notices coin and put in quotes (“一事一议”, “链长”): a question naming one is about them.
        # (Three characters or more: “链上” says little on its own.)
        quoted = set(QUOTED_TERM.findall(self.corpus_text)) - self.lexicon.stopwords
        self.coined_terms = sorted((t for t in quoted if len(t) >= 3), key=len, reverse=True)
        terms = set(self.lexicon.terms) | set(self.unit_aliases) | set(self.coined_terms)
        self.reader = Reader(self._vocabulary(), self.corpus_text, self._frequency, self.lexicon.jieba.lcut, terms)

    def _frequency(self, word: str) -> int:
        return int(self.lexicon.jieba.FREQ.get(word, 0) or 0)

    def _vocabulary(self) -> list[str]:
        """What a misheard word can be corrected to: the notices' words that are dictionary words (the
        retrieval index's tokens, or the notices' own words when there is no index), clause titles, unit
        names and their short forms, and 第N条."""
        if self.token_families is not None:
            words = [w for w in self.token_families if len(w) >= 2 and self._frequency(w) > 0]
        else:
            words = [w for t in self.corpus_text.split("\n") for w in self.lexicon.jieba.lcut(t) if len(w) >= 2]
        words += [c.title for n in self.notices for c in n.clauses]
        words += list(self.unit_aliases)
        words += [f"第{int_to_cn(k)}{kind}" for k in range(1, self.max_clause + 1) for kind in ("条", "项")]
        return words

    # --- pieces ------------------------------------------------------------------------------
    def clause_numbers(self, text: str) -> list[int]:
        nums: list[int] = []
        for m in ZH_CLAUSE.finditer(text):
            n = _num(m.group(1) or m.group(2) or m.group(3) or m.group(4))
            if n is not None and n not in nums:
                nums.append(n)
        for m in EN_CLAUSE.finditer(text):
            n = _num(m.group(1) or m.group(2) or m.group(3))
            if n is not None and n not in nums:
                nums.append(n)
        if len(self.notices) == 1 and self.notices[0].clauses and LAST.search(text):
            last = self.notices[0].clauses[-1].number  # 最后一条: with one notice, its last measure
            if last not in nums:
                nums.append(last)
        return nums

    def find_unit(self, text: str) -> str | None:
        low = text.lower()
        for alias, unit in self.unit_aliases.items():
            if is_chinese(alias):
                if alias in low:
                    return unit
            elif re.search(rf"\b{re.escape(alias)}\b", low):
                return unit
        for w in self.lexicon.content_words(text):
            if (unit := self.unit_abbreviation(w)) is not None:
                return unit
        return None

    def unit_abbreviation(self, word: str) -> str | None:
        """The one unit a short form stands for, derived from the parsed unit names (经信厅 → 省经济和信息化厅,
        生态局 → 市生态环境局): its characters in order, ending as the unit ends (局, 厅, 委 …)."""
        if len(word) < 3 or not is_chinese(word):
            return None
        hits = [u for u in self.units if u[-1] == word[-1] and word != u and abbreviates(word, u)]
        return hits[0] if len(hits) == 1 else None

    def refusal_cue(self, text: str, named: Notice | None = None) -> str | None:
        """Why the question is to be declined at once (a refusal.tsv kind, or "place": about another
        place's policy), or None. A question that names one of the notices asks what it says about the
        place ("does the plan say anything about working with Shanghai?"), unless it compares."""
        for kind, pattern in self.lexicon.refusal_cues:
            if pattern.search(text):
                return kind
        low = text.lower()
        for place in self.lexicon.places:
            if (
                place in low
                and place not in self.corpus_lower
                and (not (self._mentions_home(low) or self._names(text, named)) or self.cues.compare.search(low))
            ):
                return "place"
        return None

    def _names(self, text: str, named: Notice | None) -> bool:
        return named is not None and self.library.names_deliberately(text, named)

    def _mentions_home(self, low: str) -> bool:
        """Does the question name the notice's own city (from the issuing office, or its English names)?"""
        for n in self.notices:
            city = re.match(r"(.+?市)", n.office or n.title)
            if city and city[1].removesuffix("市") in low:
                return True
        return any(re.search(rf"\b{re.escape(name)}\b", low) for name in self.lexicon.home_names)

    def knows(self, word: str) -> bool:
        """Is the word in the notices, or one the glossary maps to them?"""
        known = self._known.get(word)
        if known is None:
            glossary = self.lexicon.glossary
            known = (
                word in self.corpus_lower or word in glossary or (is_chinese(word) and any(word in g for g in glossary))
            )
            if not known and len(word) >= 4 and is_chinese(word):  # 银行贷款: made of words it knows (银行, 贷款)
                subs = [w for w in self.lexicon.jieba.lcut_for_search(word) if len(w) >= 2 and w != word]
                known = bool(subs) and all(self.knows(w) for w in subs)
            if len(self._known) >= 100_000:  # bounded: forget everything rather than grow without end
                self._known.clear()
            self._known[word] = known
        return known

    def coverage(self, text: str, off_topic_words: frozenset[str] = frozenset()) -> float:
        """Share of the question's content words that the notices (or the glossary) know, minus twice the
        share of unknown words that belong to typical off-topic questions (所得税, 电价 …): one such word
        outweighs a generic known one (工业电价有没有优惠 is about power prices, not 工业 or 优惠)."""
        words = self.lexicon.content_words(text)
        if not words:
            return 0.0
        known = sum(self.knows(w) for w in words)
        off = sum(1 for w in words if w in off_topic_words and not self.knows(w))
        return (known - 2 * off) / len(words)

    def topic_words(self, text: str) -> list[str]:
        """Content words left after removing the asking phrases (who handles it, how much, this one…).

        Empty for a pure follow-up such as 这条找哪个部门？ or "And which departments handle that?"."""
        c = self.cues
        for rx in (c.units, c.figure, c.followup, *c.meta.values()):
            text = rx.sub(" ", text)
        return [w for w in self.lexicon.content_words(text) if w not in c.filler and self.unit_abbreviation(w) is None]

    def carried(self, history: list[dict]) -> tuple[Notice | None, int | None]:
        """The notice and clause the last answer cited."""
        for turn in reversed(history):
            if turn.get("role") == "assistant":
                text = str(turn.get("content", ""))
                notice, number = self.library.cited(text)
                if number is None and notice is None and (m := CITED.search(text)):
                    number = _num(m.group(1))  # a tag without a 文号 we know (e.g. written by another system)
                return notice, number
        return None, None

    def _about_document(self, text: str, metas: list[str], named: Notice | None = None) -> bool:
        """Ambiguous document facts (dates, validity, goal) need the question to be about the notice.

        "驾照快到期了" mentions expiry but not the notice; "这个政策还有效吗" does.
        """
        if metas == ["office"]:
            rest = self.cues.meta["office"].sub("", text)
            if any(len(w) >= 3 and w in self.corpus_text for w in self.topic_words(rest)):
                return False  # 产业链招商图谱谁发布的: who publishes a measure's thing, not who issued the notice
        if set(metas) & STRONG_META:
            return True
        if any(d in self.corpus_text for d in FULL_DATE.findall(text)):
            return True  # 我看里面写了个2018年12月31日，是到那天就失效了吗: a date read from the notice
        if self.cues.doc_ref.search(text):
            return True
        rest = text
        for k in metas:
            rest = self.cues.meta[k].sub("", rest)
        if not self.lexicon.content_words(rest):
            return True  # nothing but the document fact: 从什么时候开始执行的？
        if named is not None and not self.lexicon.content_words(self.library.without_names(rest, named)):
            return True  # nothing but the fact and the notice's name: Which years does the action plan cover?
        if metas == ["goal"] and any(w not in self.titles for w in self.topic_words(rest)):
            return False  # the goal of a measure's own topic (“皖企登云”的目标), not the notice's
        return bool(self.lexicon.content_words(rest)) and self.coverage(rest) >= 0.5

    def listed_term(self, text: str) -> str | None:
        """The topic word of a "which measures mention X" question: the longest that some but not all
        measures of the notices contain (fewest measures on a tie)."""
        c = self.cues
        for rx in (c.list, c.units, c.figure, c.followup):
            text = rx.sub(" ", text)
        best: tuple[int, int, str] | None = None
        total = sum(len(n.clauses) for n in self.notices)
        for w in self.topic_words(text):
            k = sum(w in cl.text for n in self.notices for cl in n.clauses)
            if 1 <= k < total and (best is None or (len(w), -k) > best[:2]):
                best = (len(w), -k, w)
        return best[2] if best else None

    # --- several questions in one ----------------------------------------------------------------
    def parts(self, question: str) -> list[str]:
        """The asks of a question that holds several ("…有什么支持？文件还有效吗？"), each with the context
        said before it; a question that asks one thing is one part."""
        text = normalise(self.reader.plain(question))
        segments = [  # (text, after a pause only), without the list marker (二是 / 其二 / 第二点：)
            (LIST_MARK.sub("", s.strip(" ，,、：:")), k > 0 and j == 0 and i == 0)
            for sentence in SENTENCE_END.split(text)
            for k, piece in enumerate(PAUSE.split(sentence))
            for j, clause in enumerate(CONNECTOR.split(piece))
            for i, s in enumerate(EN_AND.split(clause))
        ]
        several = bool(SEVERAL.search(text))
        if several:
            segments = [(x.strip(" ,"), p and i == 0) for s, p in segments for i, x in enumerate(EN_LIST.split(s))]
        parts: list[str] = []
        context: list[str] = []  # what was said since the last ask: part of the next one
        for s, paused in ((s, p) for s, p in segments if s):
            own = not paused or several or self._asks_document(s) or bool(self.cues.units.search(s))
            if not ASKS.search(s):
                context.append(s)
            elif parts and (not (self._has_subject(s) or self.cues.units.search(s)) or not own):
                parts[-1] = f"{parts[-1]} {s}"  # 对吧 / 是吗, or 什么样的项目能享受 after a pause: the same ask
            else:
                parts += self._asked_of_each(context, s) or [f"{' '.join(context)} {p}".strip() for p in self._each(s)]
                context = []
        if context:
            rest = " ".join(context)
            parts = [*parts[:-1], f"{parts[-1]} {rest}"] if parts else [rest]
        return parts if 2 <= len(parts) <= MAX_PARTS else [text]

    def _asked_of_each(self, context: list[str], ask: str) -> list[str]:
        """ "想建研发中心，同时想找银行贷款，这两方面分别是哪条管的？" → one ask per subject said before
        it ("想建研发中心 是哪条管的", "同时想找银行贷款 是哪条管的"); [] when the ask is not of that form."""
        m = BACK_EACH.search(ask)
        if m is None:
            return []
        head, _, tail = ask[: m.start()].rpartition("，")
        if tail and self.topic_words(tail):
            return []  # 研发中心和贷款分别… names its own subjects (handled by _each)
        subjects = [*context, head] if head else list(context)
        subjects = [x for x in subjects if self.topic_words(x)]
        if len(subjects) < 2:
            return []
        said = m[0]
        count = 2 if re.search("两|俩", said) else 3 if "三" in said else len(subjects)
        background, subjects = subjects[:-count], subjects[-count:]
        predicate = (tail + ask[m.end() :]).strip(" ，,")
        lead = " ".join(background)
        return [f"{lead} {x} {predicate}".strip() for x in subjects]

    def _each(self, ask: str) -> list[str]:
        """开拓市场和技术创新这两块各有啥措施 → 开拓市场有啥措施, 技术创新有啥措施 (else the ask itself)."""
        m = EACH.search(ask)
        j = AND.search(ask, 0, m.start()) if m else None
        if m is None or j is None:
            return [ask]
        first, second = ask[: j.start()], ask[j.end() : m.start()]
        predicate = ask[m.end() :]
        if not (self.topic_words(first) and self.topic_words(second)):
            return [ask]
        return [f"{first}{predicate}", f"{second}{predicate}"]

    def _listed(self, history: list[dict]) -> list[int]:
        """The measures the last answer cites side by side (a list, or the parts of several asks); none
        when it has a main measure (the others are "另见 / See also")."""
        text = next((str(t.get("content", "")) for t in reversed(history) if t.get("role") == "assistant"), "")
        if "另见" in text or "See also" in text:
            return []
        return list(dict.fromkeys(n for m in CITED.finditer(text) if (n := _num(m.group(1))) is not None))

    def _asked_reverse(self, history: list[dict]) -> bool:
        """Was the previous question "which measures does unit X handle"?"""
        for turn in reversed(history):  # back over the elliptical questions (那科技局呢？ → 那财政局呢？)
            prev = normalise(str(turn.get("content", ""))) if turn.get("role") == "user" else ""
            if prev and self.route(prev).kind == Kind.REVERSE:
                return True
            if prev and not ELLIPSIS.search(prev):
                return False
        return False

    def _asks_document(self, text: str) -> bool:
        return any(rx.search(text) for rx in self.cues.meta.values())

    def _has_subject(self, text: str) -> bool:
        """Does a segment say what it asks about (a topic, a unit, a measure, a document fact, 这条)?
        In a short one (能减多少, 给多少) a two-character word the notices never use is its verb, no topic."""
        topics = self.topic_words(text)
        short = [w for w in topics if len(w) <= 2]
        if len(short) == len(topics) and (
            (len(text) <= 6 and not any(self.knows(w) for w in short))
            or (len(text) <= 8 and all(self.knows(w) and w not in self.measure_titles for w in short))
        ):
            topics = []  # 能减多少: a verb; 有没有优惠: a benefit the notices name, but no measure's topic (用地 is)
        return bool(
            topics
            or self.find_unit(text)
            or self.clause_numbers(text)
            or self.cues.followup.search(text)
            or self._asks_document(text)
        )

    # --- route -------------------------------------------------------------------------------
    def route(self, question: str, history: list[dict] | None = None, lang: str | None = None) -> Query:
        """`lang` answers a question that shows no language (emoji, digits); else the conversation's
        last question decides, else Chinese (the notices' language)."""
        history = history or []
        text = normalise(self.reader.plain(question))
        corrections: list[tuple[str, str]] = []
        if is_chinese(text):
            text, corrections = self.reader.correct(text)
        if is_chinese(text):
            lang = "en" if is_english(text) else "zh"
        else:
            lang = "en" if re.search(r"[A-Za-z]", text) else lang or _history_lang(history)
        q = Query(text=text, lang=lang, kind=Kind.FACT, search_text=text, corrections=corrections)
        c = self.cues

        named, family = self.library.naming(text)
        cue = self.refusal_cue(text, named)
        if cue:
            q.kind, q.reason = Kind.OOS, cue
            return q

        q.clauses = self.clause_numbers(text)
        asked = text  # the question without the words that name its notice (those are not units or topics)
        if named is not None:
            q.doc, q.doc_named, q.doc_family = named.doc_id, True, family
            if self.library.families > 1:
                rest = self.library.without_names(text, named)
                if self.topic_words(rest):
                    q.search_text = asked = rest
        cited, number = self.carried(history) if history else (None, None)
        if q.doc is None and cited is not None:
            q.doc = cited.doc_id  # the conversation is about this notice
        q.followup = bool(history) and not q.clauses and (bool(c.followup.search(text)) or not self.topic_words(text))
        if q.followup and SINGULAR.search(text) and not PLURAL.search(text) and not self.topic_words(text):
            listed = self._listed(history)
            if len(listed) >= 2:  # an answer of several measures on equal footing: ask which one is meant
                q.kind, q.candidates = Kind.CLARIFY, listed
                return q
        if q.clauses and number is not None and SINGULAR.search(text) and (cited is None or cited.doc_id == q.doc):
            q.carried = number  # 它跟第一条是同一个牵头单位吗: the measure just cited, beside the one named
        if q.followup:
            q.carried = number if (cited is None or cited.doc_id == q.doc) else None
            if q.carried is None:  # no citation to lean on: search with the previous question too
                prev = next((t.get("content", "") for t in reversed(history) if t.get("role") == "user"), "")
                q.search_text = f"{prev} {text}".strip()
        q.asks_figure = bool(c.figure.search(text))
        if q.carried is not None and APPLIES.search(text) and q.doc is not None:
            carried = self.library.by_id[q.doc].clause(q.carried)
            if carried is not None and "适用范围" in carried.units_quote:  # its units bracket says where it applies
                q.kind, q.clauses = Kind.UNITS, [q.carried]
                return q

        metas = [k for k, rx in c.meta.items() if rx.search(text)]
        if "disclosure" in metas and "office" in metas:
            metas.remove("office")  # 是公开发布的吗 asks how it is published, not who published it
        if not metas and not q.clauses and (m := DOC_NUMBER_LIKE.search(text)):
            rest = self.library.without_names(text, named) if named is not None else text.replace(m[0], " ")
            if not self.topic_words(rest):
                metas = ["doc_number"]  # 这个文件是市政办发2023 31号吗 / 是市政发〔2023〕31号对吧: to confirm
        unit = self.find_unit(asked)
        # "这条除了经信厅还有哪些单位负责" asks about the carried measure's units, not the unit's measures.
        about_carried = q.carried is not None and bool(c.followup.search(asked)) and bool(c.units.search(asked))
        reverse = bool(unit and c.reverse.search(asked) and not q.clauses and not about_carried)
        if unit and not reverse and not q.clauses and history and ELLIPSIS.search(text):
            reverse = self._asked_reverse(history)  # 发改委负责哪几条？ → 那科技局呢？
        term = self.listed_term(asked) if (not q.clauses and not unit and c.list.search(asked)) else None
        if (
            metas
            and not (metas == ["count"] and (q.clauses or reverse or term))
            and (
                self.library.names_exactly(text)
                or self._about_document(text, metas, named)
                # "它现在还有效吗？" after an answer: the dates of the measure just cited (its notice's)
                or (q.followup and q.carried is not None and bool(set(metas) & CARRIED_META))
            )
        ):
            q.kind, q.meta = Kind.META, ",".join(metas)
        elif reverse:
            q.kind, q.unit = Kind.REVERSE, unit
        elif term:
            q.kind, q.term = Kind.REVERSE, term  # which measures mention the term
        elif c.units.search(text):
            q.kind = Kind.UNITS
        elif q.clauses:
            q.kind = Kind.LOOKUP
        return q
