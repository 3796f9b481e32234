"""Extractive answers: a one-line lead, verbatim sentences quoted, each cited as 【第N条 标题】 with the 文号.

Every string in an answer that claims to be the notice's text is copied from the parsed Clause or
Notice; the fixed phrases around them are the only words this module writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..corpus.parser import line_sentences
from ..records import Answer, Citation, Clause, Kind, Notice, Query
from ..textnorm import FULL_DATE, cn_date, int_to_cn


def tag(c: Clause) -> str:
    return f"【第{int_to_cn(c.number)}条 {c.title}】"


GAP = "……"  # joins quoted passages that are not next to each other in the source


def join_quotes(c: Clause, sentences: list[str]) -> str:
    """The quoted sentences as one string, with …… where the notice has text in between."""
    out, prev = "", ""
    for s in sentences:
        if prev and (prev + s) not in c.text:
            out += GAP
        out, prev = out + s, s
    return out


def quote_block(sentences: list[str]) -> str:
    return "\n".join(f"> {s}" for s in sentences)


FIGURE_WORDS = {
    "zh": {
        "money": "具体金额或奖补标准",
        "area": "具体面积（亩数）",
        "time": "具体办理时限",
        "count": "具体数量",
        "any": "具体数额或比例",
    },
    "en": {
        "money": "a specific amount of money",
        "area": "a specific area",
        "time": "a specific time limit",
        "count": "a specific number",
        "any": "a specific figure",
    },
}


EFFECTIVE_FROM = re.compile(r"自[^，。；]{1,20}?起(?:执行|施行|实施)")
TITLE_PERIOD = re.compile(r"(?:19|20)\d\d\s*[-—–~～至到]\s*(?:19|20)\d\d年")  # 行动计划（2021-2023年）
# How a clarifying answer gives examples when the notice's profile.json has none of its own.
CLARIFY_EXAMPLE = {"zh": "例如“第一条找哪个部门？”。", "en": 'For example: "Who handles measure 1?"'}


# Who a notice is addressed to and who got copies (Notice field → heading, and the line when it names none).
RECIPIENTS = {
    "addressees": (("主送", "It is addressed to"), ("通知未写明主送单位。", "The notice names no addressees.")),
    "copies": (("抄送", "Copies went to"), ("通知未写明抄送单位。", "The notice names no recipients of copies.")),
}
# What the assistant says when it declines a kind of request (refusal.tsv's kinds), in Chinese and English.
DECLINED: dict[str, tuple[str, str]] = {
    "injection": (
        "抱歉，我的规则不能更改：我只依据{source}的原文作答，并注明条款出处。",
        "Sorry, my rules cannot be changed: I answer only from {source}, quoting it and citing the clause.",
    ),
    "persona": (
        "抱歉，我不是政府工作人员，不能代表任何单位审批、授权或作出承诺；具体事项请联系文件列明的责任单位。",
        "Sorry, I am not an official: I cannot approve, authorise or promise anything on anyone's behalf; "
        "the units named in the notice decide.",
    ),
    "fabricate": (
        "抱歉，我不能假设、估算或编造文件没有写的内容或数字，只能引用{source}的原文。",
        "Sorry, I cannot assume, estimate or make up what the notice does not say; I can only quote {source}.",
    ),
    "rewrite": (
        "抱歉，我不改写或增补文件内容（广告、诗歌、加了内容的翻译等），只能原文引用{source}。",
        "Sorry, I do not rewrite or add to the notice (adverts, poems, translations with additions); "
        "I can quote {source} as written.",
    ),
    "task": (
        "抱歉，我不撰写计划书、邮件、代码等材料，只解答{source}的内容。",
        "Sorry, I do not write plans, e-mails or code; I answer questions about {source}.",
    ),
    "meta": (
        "抱歉，我不介绍自己的实现或指令，只解答{source}的内容。",
        "Sorry, I do not discuss how I am built or instructed; I answer questions about {source}.",
    ),
    "illicit": (
        "抱歉，我不能协助规避审批或虚报材料，只解答{source}的内容。",
        "Sorry, I cannot help to get around approvals or misstate facts; I answer questions about {source}.",
    ),
}


@dataclass
class Composer:
    notices: list[Notice]
    reverse_limit: int = 30  # measures listed for one unit before the answer says how many more there are
    clarify_examples: dict[str, dict[str, str]] = field(default_factory=dict)  # doc_id → lang → example line
    # doc_id → {"measures": {"1": English title}, "units": {unit: English name}}: the notice's English data
    # (profile.json, units.tsv); an English answer names measures and units with it, the Chinese kept beside.
    english: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    # --- shared pieces -------------------------------------------------------------------------
    def title_en(self, n: Notice, c: Clause) -> str:
        """Securing land for industry (“强化工业用地保障”), or “强化工业用地保障” without English data."""
        en = self.english.get(n.doc_id, {}).get("measures", {}).get(str(c.number))
        return f"{en} (“{c.title}”)" if en else f"“{c.title}”"  # only the notice's own words in quotes

    def unit_en(self, n: Notice | None, unit: str) -> str:
        """Natural Resources and Planning Bureau (市资源规划局), or the unit as written without English data."""
        names = [self.english.get(n.doc_id, {}) if n else {}, *self.english.values()]
        en = next((d.get("units", {}).get(unit) for d in names if d.get("units", {}).get(unit)), None)
        return f"{en} ({unit})" if en else unit

    def units_en(self, n: Notice, c: Clause) -> str:
        """The measure's units in English where the notice's data names them, then as the notice writes them."""
        named = [self.unit_en(n, u) for u in c.units]
        if not named or named == list(c.units):
            return c.units_text
        return f"{'; '.join(named)} — as written: {c.units_text}"

    def _source(self, n: Notice) -> str:
        return f"《{n.title}》（{n.doc_number}）"

    def citation(self, n: Notice, c: Clause, quote: str, units: bool = True) -> Citation:
        return Citation(
            clause=c.number,
            title=c.title,
            doc_number=n.doc_number,
            quote=quote,
            units=list(c.units) if units else [],
            label=c.label,
            doc_id=n.doc_id,
        )

    def cite(self, n: Notice, c: Clause) -> str:
        """The citation tag in the text: 【第N条 标题】（文号） for one notice; 【文号 第N条 标题】 once the
        corpus holds several (the 文号 then names the notice inside the tag)."""
        if len(self.notices) > 1:
            return f"【{n.doc_number} 第{int_to_cn(c.number)}条 {c.title}】"
        return f"{tag(c)}（{n.doc_number}）"

    def __post_init__(self) -> None:
        self._repealed_by: dict[str, Notice] = {}  # 文号 → the first notice of the corpus that repeals it
        for o in self.notices:
            for number in o.supersedes:
                self._repealed_by.setdefault(number, o)

    def superseded_by(self, n: Notice) -> Notice | None:
        """A notice of the corpus that repeals this one (its 文号 in the other's supersedes)."""
        return self._repealed_by.get(n.doc_number) if n.doc_number else None

    def state(self, n: Notice, today: date, expiring_days: int = 60) -> str:
        """The validity state as a code: repealed / expired / expiring / in_force / no_expiry."""
        if self.superseded_by(n):
            return "repealed"
        if not n.valid_until:
            return "no_expiry"
        if today > n.valid_until:
            return "expired"
        return "expiring" if (n.valid_until - today).days <= expiring_days else "in_force"

    def status(self, n: Notice, today: date, lang: str) -> str:
        """现行有效 / 已失效 / 已废止 / 未写明有效期, for lists of notices."""
        if self.superseded_by(n):
            return "已废止" if lang == "zh" else "repealed"
        if n.valid_until:
            if today > n.valid_until:
                return f"已失效（有效期至{cn_date(n.valid_until)}）" if lang == "zh" else f"expired {n.valid_until}"
            return f"有效期至{cn_date(n.valid_until)}" if lang == "zh" else f"valid until {n.valid_until}"
        return "未写明有效期" if lang == "zh" else "no expiry date stated"

    def units_line(self, c: Clause, lang: str, n: Notice | None = None, quoted: list[str] | None = None) -> str:
        """The measure's units; for a measure of many items each with its own bracket, those of the items
        the answer quotes (the bracket that closes each quoted sentence's item), so the caller is referred
        to the units of what was read out, not to every unit of the measure."""
        if not c.units_text:
            return ""
        brackets = c.units_quote.split(GAP) if c.units_quote else []
        if quoted and len(brackets) > 1:
            own = self._closing_brackets(c, brackets, quoted)
            if own and len(own) < len(brackets):
                said = "；".join(re.sub(r"^（(?:责任单位[：:])?|）$", "", b) for b in own)
                return f"责任单位：{said}" if lang == "zh" else f"Responsible units (of the quoted items): {said}"
        if "：" in c.units_text:  # already says what the units are (牵头单位：…；配合单位：…)
            return c.units_text if lang == "zh" else f"Responsible units: {c.units_text}"
        return f"责任单位：{c.units_text}" if lang == "zh" else f"Responsible units: {self.units_en(n, c)}"

    @staticmethod
    def _closing_brackets(c: Clause, brackets: list[str], quoted: list[str]) -> list[str]:
        """Of a measure's unit brackets, the one of each quoted sentence's item: the bracket on its line,
        else the next one (an item's units close its last paragraph), except inside a 专栏 box, which
        belongs to the item before it. [] when a sentence cannot be placed."""
        lines = c.text.split("\n")
        owner: list[str | None] = [next((b for b in brackets if b in ln), None) for ln in lines]
        out: list[str] = []
        for sentence in quoted:
            k = next((i for i, ln in enumerate(lines) if sentence in ln), None)
            if k is None:
                return []
            b = owner[k]
            if b is None:
                back = next((i for i in range(k, -1, -1) if owner[i] or lines[i].startswith("专栏")), None)
                if back is not None and lines[back].startswith("专栏"):
                    b = next((owner[i] for i in range(back, -1, -1) if owner[i]), None)
                else:
                    b = next((owner[i] for i in range(k, len(lines)) if owner[i]), None)
            if b is None:
                return []
            if b not in out:
                out.append(b)
        return sorted(out, key=brackets.index)

    @staticmethod
    def bracket(c: Clause, unit: str | None = None) -> str:
        """The clause's units as the notice writes them (for quoting); with a unit, only the brackets
        naming it (a measure of many paragraphs has one bracket each)."""
        quote = c.units_quote or f"（责任单位：{c.units_text}）"
        if unit:
            naming = [b for b in quote.split(GAP) if unit in b]
            return GAP.join(naming) if naming else quote
        return quote

    @staticmethod
    def numbering(c: Clause) -> str:
        """第N条, plus the notice's own numbering where it is not N、 (第三十一条（二、（三十一））)."""
        own = c.label and c.label != f"{int_to_cn(c.number)}、"
        return f"第{int_to_cn(c.number)}条" + (f"（{c.label}）" if own else "")

    def _topics(self, lang: str) -> str:
        """What the assistant can answer about: the measures of the one notice, or the notices."""
        if len(self.notices) == 1:
            n = self.notices[0]
            topics = "、".join(c.title for c in n.clauses)
            return (
                f"我可以解答这份通知的{len(n.clauses)}条措施：{topics}。"
                if lang == "zh"
                else f"I can answer questions about its {len(n.clauses)} measures: {topics}."
            )
        limit = 10  # a refusal names a few; `policy-assistant notices` and /v1/notices list them all
        docs = "；".join(self._source(n) for n in self.notices[:limit])
        more = len(self.notices) - limit
        if lang == "zh":
            return f"我可以解答以下通知：{docs}" + (f"等{len(self.notices)}份通知。" if more > 0 else "。")
        return f"I can answer questions about these notices: {docs}" + (f" and {more} more." if more > 0 else ".")

    def validity_notice(self, n: Notice, today: date, lang: str) -> str:
        """The warning every answer carries once the notice has expired or been repealed (empty while in force)."""
        newer = self.superseded_by(n)
        if newer is not None:
            return (
                f"⚠️ 注意：{self._source(n)}已被{self._source(newer)}废止，以下内容仅供参考。"
                if lang == "zh"
                else f"⚠️ Note: {n.doc_number} has been repealed by {newer.doc_number}; the text below is for "
                "reference only."
            )
        if not n.valid_until or today <= n.valid_until:
            return ""
        if lang == "zh":
            return (
                f"⚠️ 注意：{self._source(n)}有效期至{cn_date(n.valid_until)}，截至今天（{cn_date(today)}）已失效。"
                "以下内容仅供参考，请向责任单位确认现行政策。"
            )
        return (
            f"⚠️ Note: {n.doc_number} was valid until {n.valid_until.isoformat()} and has expired "
            f"(today is {today.isoformat()}). The text below is for reference only; check the current "
            "policy with the responsible units."
        )

    def _finish(
        self, q: Query, n: Notice | list[Notice] | None, today: date, lines: list[str], citations: list[Citation]
    ) -> Answer:
        """The answer text: a warning for each expired or repealed notice it cites, then the lines."""
        notices = n if isinstance(n, list) else ([n] if n else [])
        warnings = [w for w in dict.fromkeys(self.validity_notice(x, today, q.lang) for x in notices) if w]
        text = "\n".join(x for x in warnings + lines if x is not None)
        return Answer(text=text.strip(), refused=False, citations=citations, kind=q.kind, lang=q.lang)

    def parts(self, lang: str, answered: list[tuple[str, Answer]]) -> Answer:
        """One answer to a question of several parts: each part under its own heading with its own
        citations; a part the notices do not cover is named as such."""
        zh = lang == "zh"
        blocks, citations, seen = [], [], set()
        for i, (part, a) in enumerate(answered, start=1):
            # The caller's words head each part, except words with a figure in them: a figure the caller
            # brought (30%, 5000万) is never repeated as if the answer said it.
            shown = "" if re.search(r"\d", part) else part
            # Numbered （一）（二） / (a) (b): a digit in an answer is a figure, and every figure is the notice's.
            head = f"（{int_to_cn(i)}）{shown}" if zh else f"({'abcdefghij'[i - 1]}) {shown}"
            if a.refused:
                body = "通知没有涉及这一点。" if zh else "The notice does not cover this."
            else:
                body = a.text
            blocks.append(f"{head}\n{body}")
            for c in a.citations:
                key = (c.doc_id, c.clause, c.doc_number)
                if key not in seen:
                    seen.add(key)
                    citations.append(c)
        return Answer(text="\n\n".join(blocks), refused=False, citations=citations, kind=Kind.MULTI, lang=lang)

    @staticmethod
    def read_as(q: Query) -> str:
        """How a corrected question was read (按「链长」理解), ahead of its answer."""
        read = "」「".join(dict.fromkeys(r for _, r in q.corrections))
        return f"（按「{read}」理解）" if q.lang == "zh" else f"(Read as 「{read}」.)"

    # --- kinds ---------------------------------------------------------------------------------
    def refuse(self, q: Query) -> Answer:
        one = len(self.notices) == 1
        n = self.notices[0]
        source = self._source(n) if one else "这些通知"
        declined = DECLINED.get(q.reason or "")
        if declined is not None:  # a request the assistant does not do, whatever the notice says
            zh, en = declined
            head = (
                zh.format(source=source) if q.lang == "zh" else en.format(source=n.doc_number if one else "the notices")
            )
        elif q.lang == "zh":
            if q.reason == "place":
                office = n.office if one else "本地"
                head = f"抱歉，{source}是{office or '本地'}发布的政策，不涉及其他地区，这个问题我无法回答。"
            else:
                head = f"抱歉，{source}没有涉及这个问题，我无法回答。"
        elif one:
            head = (
                f"Sorry, this is outside what the notice {n.doc_number} ({n.title}) covers, so I can't answer it."
                if q.reason != "place"
                else f"Sorry, {n.doc_number} is a policy of {n.office}; it does not cover other places."
            )
        else:
            head = "Sorry, this is outside what these notices cover, so I can't answer it."
        return Answer(text=f"{head}\n{self._topics(q.lang)}", refused=True, citations=[], kind=Kind.OOS, lang=q.lang)

    def which_notice(self, q: Query, today: date) -> Answer:
        """Several notices and nothing says which one a document question or 第N条 is about: ask (listing
        the first `reverse_limit` of them and how many more there are)."""
        shown = self.notices[: self.reverse_limit]
        docs = "\n".join(
            f"{i}. {self._source(n)} — {self.status(n, today, q.lang)}" for i, n in enumerate(shown, start=1)
        )
        if len(self.notices) > len(shown):
            more = len(self.notices) - len(shown)
            docs += f"\n……另有{more}份通知。" if q.lang == "zh" else f"\n… and {more} more notices."
        text = (
            f"请问您问的是哪一份通知？请说出文号或标题，例如“{self.notices[0].doc_number}的有效期”。\n{docs}"
            if q.lang == "zh"
            else f"Which notice do you mean? Name its document number or title, e.g. "
            f'"validity of {self.notices[0].doc_number}".\n{docs}'
        )
        return Answer(text=text, refused=False, citations=[], kind=Kind.CLARIFY, lang=q.lang)

    def clarify(self, q: Query, today: date, n: Notice | None = None) -> Answer:
        """A question with nothing to go on ("这条找哪个部门？" with no earlier turn): ask which measure —
        or, when several notices could be meant, which notice."""
        if n is None and len(self.notices) > 1:
            return self.which_notice(q, today)
        n = n or self.notices[0]
        named = [c for k in q.candidates if (c := n.clause(k)) is not None]
        if len(named) >= 2:  # 这条 after an answer that cited several
            text = (
                [
                    "上面提到了几条措施，请问您指的是哪一条？"
                    + "；".join(f"第{int_to_cn(c.number)}条「{c.title}」" for c in named)
                    + "。"
                ]
                if q.lang == "zh"
                else [
                    "The answer above named several measures; which one do you mean? "
                    + "; ".join(f"measure {c.number}, {self.title_en(n, c)}" for c in named)
                    + "."
                ]
            )
            answer = self._finish(q, n, today, text, [])
            answer.kind = Kind.CLARIFY
            return answer
        titles = "；".join(f"第{int_to_cn(c.number)}条 {c.title}" for c in n.clauses)
        example = self.clarify_examples.get(n.doc_id, {}).get(q.lang) or CLARIFY_EXAMPLE[q.lang]
        if q.lang == "zh":
            text = [
                f"请问您指的是哪一条措施或哪方面的内容？{example}",
                f"{self._source(n)}共{len(n.clauses)}条措施：{titles}。",
            ]
        else:
            text = [
                f"Which measure or topic do you mean? {example}",
                f"{n.doc_number} has {len(n.clauses)} measures: {titles}.",
            ]
        answer = self._finish(q, n, today, text, [])
        answer.kind = Kind.CLARIFY
        return answer

    def lookup(self, q: Query, n: Notice, numbers: list[int], today: date) -> Answer:
        lines: list[str] = []
        cites: list[Citation] = []
        missing = [k for k in numbers if n.clause(k) is None]
        for k in numbers:
            c = n.clause(k)
            if c is None:
                continue
            full = f"{c.label or int_to_cn(c.number) + '、'}{c.text}"
            if q.lang == "zh":
                lines.append(f"{self._source(n)}第{int_to_cn(c.number)}条原文：")
            else:
                lines.append(
                    f"Measure {c.number} of {n.doc_number}, {self.title_en(n, c)}, quoted from the Chinese original:"
                )
            lines += [quote_block([full]), "", self.cite(n, c), ""]
            cites.append(self.citation(n, c, c.text))
        if missing:
            numbers_cn = "、".join(f"第{int_to_cn(k)}条" for k in missing)
            last = n.clauses[-1].number if n.clauses else 0
            if q.lang == "zh":
                lines.append(
                    f"{self._source(n)}共{len(n.clauses)}条措施（第一条至第{int_to_cn(last)}条），没有{numbers_cn}。"
                )
            else:
                lines.append(
                    f"{n.doc_number} has {len(n.clauses)} measures (1 to {last}); there is no measure "
                    + ", ".join(str(k) for k in missing)
                    + "."
                )
        return self._finish(q, n, today, lines, cites)

    def fact(
        self, q: Query, picks: list[tuple[Notice, Clause, list[str]]], today: date, missing_figure: str | None
    ) -> Answer:
        """picks: (notice, clause, sentences to quote), most relevant first."""
        lines: list[str] = []
        cites: list[Citation] = []
        for i, (n, c, sentences) in enumerate(picks):
            if q.lang == "zh":
                lead = (
                    f"根据{self._source(n)}{self.numbering(c)}「{c.title}」："
                    if i == 0
                    else f"另见{self.numbering(c)}「{c.title}」："
                )
            else:
                lead = (
                    f"Measure {c.number} of {n.doc_number}, {self.title_en(n, c)}, covers this. "
                    "Quoted from the Chinese original:"
                    if i == 0
                    else f"See also measure {c.number}, {self.title_en(n, c)}:"
                )
            lines += [lead, quote_block(sentences), "", self.cite(n, c), self.units_line(c, q.lang, n, sentences), ""]
            cites.append(self.citation(n, c, join_quotes(c, sentences)))
        if missing_figure:
            words = FIGURE_WORDS[q.lang][missing_figure]
            lines.append(
                f"注意：通知未规定{words}，以上为原文表述；具体标准请咨询责任单位。"
                if q.lang == "zh"
                else f"Note: the notice does not specify {words}; the quoted text is all it says. "
                "Ask the responsible units for details."
            )
        return self._finish(q, picks[0][0] if picks else None, today, lines, cites)

    def units(self, q: Query, n: Notice, c: Clause, today: date) -> Answer:
        bracket = self.bracket(c)
        first = c.units[0] if c.units else ""
        if q.lang == "zh":
            lines = [
                f"{self.numbering(c)}「{c.title}」的责任单位是：{c.units_text}。",
                f"排在首位的是{first}，可先联系{first}。" if first else "",
            ]
        else:
            lines = [
                f"Measure {c.number}, {self.title_en(n, c)}, names these responsible units: {self.units_en(n, c)}.",
                f"{self.unit_en(n, first)} is listed first; contact it first." if first else "",
            ]
        lines += [self.cite(n, c)]
        return self._finish(q, n, today, lines, [self.citation(n, c, bracket)])

    def units_of(self, q: Query, n: Notice, clauses: list[Clause], today: date) -> Answer:
        """The units of several measures side by side (它跟第一条是同一个牵头单位吗), and whether the unit
        listed first is the same."""
        zh = q.lang == "zh"
        lines = [
            f"{self.numbering(c)}「{c.title}」的责任单位是：{c.units_text}。"
            if zh
            else f"Measure {c.number}, {self.title_en(n, c)}: {self.units_en(n, c)}."
            for c in clauses
        ]
        firsts = [c.units[0] if c.units else "" for c in clauses]
        if all(firsts) and len(set(firsts)) == 1:
            lines.append(
                f"排在首位的都是{firsts[0]}。" if zh else f"{self.unit_en(n, firsts[0])} is listed first in each."
            )
        elif all(firsts):
            listed = "；".join(f"第{int_to_cn(c.number)}条是{f}" for c, f in zip(clauses, firsts, strict=True))
            lines.append(
                f"排在首位的单位不同：{listed}。"
                if zh
                else "The unit listed first differs: "
                + "; ".join(f"measure {c.number}: {self.unit_en(n, f)}" for c, f in zip(clauses, firsts, strict=True))
                + "."
            )
        lines += [self.cite(n, c) for c in clauses]
        return self._finish(q, n, today, lines, [self.citation(n, c, self.bracket(c)) for c in clauses])

    def reverse(self, q: Query, unit: str, matches: list[tuple[Notice, Clause]], today: date) -> Answer:
        if not matches:
            n = self.notices[0]
            text = (
                f"{self._source(n)}中没有把{unit}列为责任单位的措施。"
                if q.lang == "zh"
                else f"No measure of {n.doc_number} lists {unit} as a responsible unit."
            )
            return self._finish(q, n, today, [text], [])
        lines = [
            f"{unit}是以下{len(matches)}条措施的责任单位："
            if q.lang == "zh"
            else f"{self.unit_en(matches[0][0], unit)} is a responsible unit for {len(matches)} measure(s):"
        ]
        cites = []
        for i, (n, c) in enumerate(matches[: self.reverse_limit], start=1):
            bracket = self.bracket(c, unit)
            lines += self._notice_heading(matches, i)
            lines.append(f"{i}. {self.cite(n, c)}{bracket}")
            excerpt = self.unit_excerpt(c, unit)
            if excerpt:
                lines.append(quote_block(excerpt))
            cites.append(self.citation(n, c, GAP.join([*excerpt, bracket]) if excerpt else bracket))
        if len(matches) > self.reverse_limit:  # only with many notices loaded
            rest = len(matches) - self.reverse_limit
            lines.append(
                f"……另有{rest}条未列出，请加上文号缩小范围。"
                if q.lang == "zh"
                else f"… and {rest} more; name a document number to narrow it down."
            )
        return self._finish(q, self._listed(matches), today, lines, cites)

    def _listed(self, matches: list[tuple[Notice, Clause]]) -> list[Notice]:
        """The notices of the measures a list shows (the first `reverse_limit`), each once, in order: the
        ones whose validity warnings the answer carries."""
        return list({n.doc_id: n for n, _ in matches[: self.reverse_limit]}.values())

    def _notice_heading(self, matches: list[tuple[Notice, Clause]], i: int) -> list[str]:
        """In a list spanning several notices, the notice's name before its first listed measure (i: 1-based)."""
        n = matches[i - 1][0]
        if len(self.notices) > 1 and (i == 1 or matches[i - 2][0] is not n):
            return [self._source(n) + "："]
        return []

    @staticmethod
    def unit_excerpt(c: Clause, unit: str) -> list[str]:
        """What a listed measure asks of the unit, when its title does not say it: the opening sentence of
        each paragraph whose units name the unit (a measure of several paragraphs), else the measure's
        opening sentence when its title is cut from a longer one. [] when the title says enough."""
        brackets = c.units_quote.split(GAP) if c.units_quote else []
        if len(brackets) > 1:  # one bracket per paragraph: quote the paragraphs whose bracket names the unit
            naming = [b for b in brackets if unit in b]
            return [
                p.partition("。")[0] + "。" if "。" in p else p
                for p in c.text.split("\n")
                if any(b in p for b in naming)
            ]
        if c.text.startswith(c.title + "\n"):  # a heading on its own line: what the paragraph opens with,
            body = c.text[len(c.title) + 1 :]  # and the support it states (the first sentence with a figure)
            sentences = [x for x in line_sentences(body) if x.endswith("。")]
            if not sentences:
                return []
            figure = next((x for x in sentences if re.search(r"\d", x)), None)
            return list(dict.fromkeys([sentences[0], *([figure] if figure else [])]))
        first = c.text.partition("。")[0]
        if "。" in c.text and len(first) > len(c.title) + 1:
            return [first + "。"]
        return []

    def mentions(self, q: Query, term: str, matches: list[tuple[Notice, Clause]], today: date) -> Answer:
        """The measures whose text mentions a word, each with the sentences that do."""
        lines = [
            f"提到「{term}」的措施有{len(matches)}条："
            if q.lang == "zh"
            else f"{len(matches)} measure(s) mention “{term}”:"
        ]
        cites = []
        for i, (n, c) in enumerate(matches[: self.reverse_limit], start=1):
            lines += self._notice_heading(matches, i)
            said = [s for s in (c.title + "。", *c.sentences) if term in s][:3] or [c.title + "。"]
            said = [s for s in said if s in c.text] or [c.title]
            lines += [f"{i}. {self.cite(n, c)}", quote_block(said)]
            cites.append(self.citation(n, c, join_quotes(c, said)))
        if len(matches) > self.reverse_limit:
            lines.append(
                f"……另有{len(matches) - self.reverse_limit}条未列出。"
                if q.lang == "zh"
                else f"… and {len(matches) - self.reverse_limit} more."
            )
        return self._finish(q, self._listed(matches), today, lines, cites)

    def meta(self, q: Query, n: Notice, today: date, clause: Clause | None = None) -> Answer:
        zh = q.lang == "zh"
        lines: list[str] = []
        quotes: list[str] = []
        units: list[str] = []
        for what in (q.meta or "").split(","):
            if what == "doc_number":
                lines.append(
                    f"文号：{n.doc_number}（{self._source(n)}）。"
                    if zh
                    else f"Document number: {n.doc_number} ({n.title})."
                )
                quotes.append(n.doc_number)
            elif what == "issued":
                lines.append(
                    f"印发日期：{cn_date(n.issued)}。"
                    if zh
                    else f"Issued on {n.issued.isoformat() if n.issued else 'an unstated date'} ({cn_date(n.issued)})."
                )
                quotes.append(cn_date(n.issued))
            elif what == "office":
                lines.append(f"发文机关：{n.office}。" if zh else f"Issued by {n.office}.")
                quotes.append(n.office)
            elif what in RECIPIENTS:  # 主送 / 抄送, as the header lists them
                (zh_head, en_head), (zh_none, en_none) = RECIPIENTS[what]
                said = getattr(n, what)
                if said:
                    lines.append(f"{zh_head}：{said}。" if zh else f"{en_head}: {said}.")
                    quotes.append(said)
                else:
                    lines.append(zh_none if zh else en_none)
            elif what in ("approval", "disclosure"):  # the notice's own sentence, quoted
                said = getattr(n, what)
                if said:
                    lines.append(quote_block([said]) if zh else f"The notice says: {said}")
                    quotes.append(said)
                elif what == "approval":
                    lines.append("通知未写明经哪个机关同意。" if zh else "The notice does not say who approved it.")
                else:
                    lines.append("通知未写明公开方式。" if zh else "The notice does not say how it is published.")
            elif what == "count":
                titles = "；".join(f"第{int_to_cn(c.number)}条 {c.title}" for c in n.clauses)
                k = len(n.clauses)
                lines.append(
                    f"共{k}条（{int_to_cn(k)}条）措施：{titles}。"
                    if zh
                    else f"The notice has {k} measures ({int_to_cn(k)}条): {titles}."
                )
                quotes.append(GAP.join(c.title for c in n.clauses))
            elif what == "goal":
                lines.append("总体目标（通知开头）：" if zh else "Overall goal (the preamble, quoted):")
                lines += [quote_block([n.preamble]), ""]
                quotes.append(n.preamble)
            elif what in ("plan", "effective"):
                if what == "plan" and n.plan_unit:
                    lines.append(
                        f"具体实施方案由{n.plan_unit}会同相关部门制定："
                        if zh
                        else f"The implementation plan is drafted by {n.plan_unit} with related departments:"
                    )
                    units.append(n.plan_unit)
                lines += [quote_block([n.effective]), ""]
                quotes.append(n.effective)
            elif what == "validity":
                lines.append(self.validity_line(n, today, zh))
                quotes.append(n.effective or n.doc_number)  # cite the notice even when it states nothing
                for said, sentence in self._other_dates(q.text, n):  # 我看里面写了个2018年12月31日…
                    lines += [
                        f"通知里的「{said}」不是有效期，原文是："
                        if zh
                        else f"The date {said} in the notice is no expiry:",
                        quote_block([sentence]),
                        "",
                    ]
                    quotes.append(sentence)
                if n.supersedes and not n.valid_until and "supersedes" not in (q.meta or ""):
                    what = "supersedes"  # a notice without an end date: say what it replaced
            if what == "interpreter":
                said = next((p for p in n.closing if "负责解释" in p), "")
                if n.interpreter:
                    lines.append(f"由{n.interpreter}负责解释。" if zh else f"It is interpreted by {n.interpreter}.")
                    quotes.append(said)
                    units.append(n.interpreter)
                else:
                    lines.append(
                        "通知未写明由哪个单位负责解释。" if zh else "The notice does not say who interprets it."
                    )
            elif what == "supersedes":
                said = next((p for p in n.closing if any(x in p for x in n.supersedes)), "")
                if n.supersedes:
                    olds = "、".join(n.supersedes)
                    lines.append(f"本通知施行后，{olds}停止执行（废止）：" if zh else f"It replaces {olds}:")
                    lines += [quote_block([said]), ""]
                    quotes.append(said)
                else:
                    lines.append(
                        "通知没有写明废止哪份旧文件。" if zh else "The notice names no older notice it replaces."
                    )
        if clause is not None and q.meta and "validity" in q.meta:
            lines.append(
                f"第{int_to_cn(clause.number)}条与全文有效期相同。"
                if zh
                else f"Measure {clause.number} has the same validity as the whole notice."
            )
        quote = GAP.join(dict.fromkeys(quotes))
        cite = Citation(clause=None, title=n.title, doc_number=n.doc_number, quote=quote, units=units, doc_id=n.doc_id)
        lines.append(f"【{n.title}】（{n.doc_number}）")
        cites = [cite]
        if clause is not None:  # the dates of a measure asked by number or just cited: the measure is cited too
            lines.append(self.cite(n, clause))
            cites.append(self.citation(n, clause, clause.text))
        return self._finish(q, n, today, lines, cites)

    @staticmethod
    def _other_dates(text: str, n: Notice) -> list[tuple[str, str]]:
        """Dates the caller quotes from the notice that are not its end date, each with the notice's
        sentence that holds it (a reporting deadline read as an expiry date)."""
        out = []
        for said in dict.fromkeys(FULL_DATE.findall(text)):
            if n.valid_until and cn_date(n.valid_until) == said:
                continue
            body = "\n".join([*n.closing, *(c.text for c in n.clauses)])
            if said in body:
                out.append((said, next(s for s in line_sentences(body) if said in s)))
        return out

    def passage(self, q: Query, n: Notice, sentence: str, today: date) -> Answer:
        """A topical question answered by what the notice says after its measures (组织实施 …)."""
        zh = q.lang == "zh"
        lead = f"根据{self._source(n)}措施之后的正文：" if zh else f"{n.doc_number} says, after its measures:"
        lines = [lead, quote_block([sentence]), "", f"【{n.title}】（{n.doc_number}）"]
        cite = Citation(clause=None, title=n.title, doc_number=n.doc_number, quote=sentence, units=[], doc_id=n.doc_id)
        return self._finish(q, n, today, lines, [cite])

    def validity_line(self, n: Notice, today: date, zh: bool) -> str:
        if not n.valid_until:
            if period := TITLE_PERIOD.search(n.title):  # 行动计划（2021-2023年）: the years it is planned for
                return (
                    f"通知未写明有效期；标题写明的期限是{period[0]}。"
                    if zh
                    else f"The notice states no expiry date; its title names the years it covers: {period[0]}."
                )
            if not n.effective:
                return "通知未写明有效期。" if zh else "The notice states no expiry date."
            return (
                f"通知未写明有效期截止日期，关于施行的原文是：{n.effective}"
                if zh
                else f"The notice states no expiry date; on when it applies it says: {n.effective}"
            )
        days = (n.valid_until - today).days
        if zh:
            state = (
                f"截至今天（{cn_date(today)}）仍在有效期内，还有{days}天到期。"
                if days >= 0
                else f"截至今天（{cn_date(today)}）已过期失效。"
            )
            since = EFFECTIVE_FROM.search(n.effective)
            return f"有效期至{cn_date(n.valid_until)}" + (f"（{since[0]}）" if since else "") + f"。{state}"
        state = (
            f"It is in force today ({today.isoformat()}), {days} day(s) left."
            if days >= 0
            else f"It expired; today is {today.isoformat()}."
        )
        return f"Valid until {n.valid_until.isoformat()} (有效期至{cn_date(n.valid_until)}). {state}"
