"""Score answers against a labelled question set (evals/questions.jsonl; both formats in evals/README.md).

Scoring works on the CLI contract's JSON (answer, refused, citations[].clause), so the same scorer
grades this assistant in-process, the baselines of `--compare`, or a JSONL of answers written by any
other system. Every metric is defined in evals/README.md ("Metrics"); the definitions in the
docstrings below are the same ones.
"""

from __future__ import annotations

import io
import json
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from .records import Notice

AnswerFn = Callable[[str, list[dict]], dict]
KINDS = ["fact", "lookup", "units", "reverse", "meta", "followup", "oos"]
STAGES = ["route", "retrieve", "answer", "total"]
TURN_SEP = "@"  # request id of the k-th history turn of item X: "X@k" (see `requests`)


class SetError(ValueError):
    """The question set is malformed (the message names the line)."""


@dataclass
class Item:
    id: str
    kind: str
    lang: str
    question: str
    clauses: list[int]  # most relevant first; for kind "reverse" the full set; [] for document-level facts
    facts: list[str | list[str]]  # each must appear in the answer (a list = any one of the alternatives)
    refused: bool
    must_not: list[str] = field(default_factory=list)
    history_questions: list[str] = field(default_factory=list)


# --- loading -----------------------------------------------------------------------------------
def load_items(path: Path | str) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            e = d["expect"]
            item = Item(id=str(d["id"]), kind=str(d["kind"]), lang=str(d.get("lang", "zh")),
                        question=str(d["question"]), clauses=[int(c) for c in e.get("clauses", [])],
                        facts=list(e.get("facts", [])), refused=bool(e.get("refused", False)),
                        must_not=[str(m) for m in e.get("must_not", [])],
                        history_questions=[str(h) for h in d.get("history_questions", [])])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise SetError(f"{path}:{lineno}: not a question-set line ({type(exc).__name__}: {exc})") from exc
        if item.id in seen:
            raise SetError(f"{path}:{lineno}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


MISSING = {"answer": "", "refused": False, "citations": []}


@dataclass
class AnswersFile:
    """Answers read from a JSONL file: usable rows by id, plus what was wrong with the others."""

    rows: dict[str, dict]
    lines: int
    problems: list[str]

    def for_items(self, items: list[Item]) -> tuple[list[tuple[Item, dict]], list[str]]:
        """Pair each item with its answer; an item without a usable answer gets an empty, unrefused one."""
        pairs, missing = [], []
        for it in items:
            row = self.rows.get(it.id)
            if row is None:
                missing.append(it.id)
                row = {**MISSING, "missing": True}
            pairs.append((it, row))
        return pairs, missing


def _check_row(row: object) -> str | None:
    """Why a decoded line is not a usable answer (None if it is)."""
    if not isinstance(row, dict):
        return "not a JSON object"
    if row.get("id") is None:
        return "no id"
    if "error" in row:
        return f"error row: {row['error']}"
    if not isinstance(row.get("answer"), str):
        return "'answer' missing or not a string"
    if not isinstance(row.get("refused", False), bool):
        return "'refused' is not true/false"
    cits = row.get("citations", [])
    if not isinstance(cits, list) or not all(isinstance(c, dict) for c in cits):
        return "'citations' is not a list of objects"
    for c in cits:
        clause = c.get("clause")
        if clause is not None and (isinstance(clause, bool) or not isinstance(clause, (int, str))
                                   or (isinstance(clause, str) and not clause.strip().isdigit())):
            return f"citation clause {clause!r} is neither an integer nor null"
    return None


def read_answers(fh: TextIO | Path | str) -> AnswersFile:
    """Read answers in the CLI contract's --jsonl output format. Malformed lines are reported, not fatal."""
    text = fh.read() if hasattr(fh, "read") else Path(fh).read_text(encoding="utf-8")
    rows: dict[str, dict] = {}
    problems: list[str] = []
    n = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        n += 1
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not valid JSON ({exc.msg})")
            continue
        why = _check_row(row)
        if why:
            ident = row.get("id") if isinstance(row, dict) else None
            problems.append(f"line {lineno}" + (f" (id {ident!r})" if ident is not None else "") + f": {why}")
            continue
        key = str(row["id"])
        if key in rows:
            problems.append(f"line {lineno}: duplicate id {key!r} (the first answer is scored)")
            continue
        rows[key] = row
    return AnswersFile(rows=rows, lines=n, problems=problems)


def requests(items: Iterable[Item], answers: dict[str, dict] | None = None) -> list[dict]:
    """The `ask --jsonl` input lines that can be asked now, given the answers so far.

    A single-turn item is one request (id = the item's id). An item with history questions needs
    one round per turn: turn k (1-based) is asked as id "ITEM@k" with the real answers of turns
    1..k-1 as history, and the final question as id "ITEM" once every turn is answered. Feed the
    output back with the answers until nothing is left (`policy-assistant eval --requests`).
    """
    answers = answers or {}
    out = []
    for it in items:
        turns = [*it.history_questions, it.question]
        history: list[dict] = []
        for k, question in enumerate(turns, start=1):
            rid = it.id if k == len(turns) else f"{it.id}{TURN_SEP}{k}"
            got = answers.get(rid)
            if got is None:
                out.append({"id": rid, "question": question, "history": history})
                break
            history = history + [{"role": "user", "content": question},
                                 {"role": "assistant", "content": str(got.get("answer", ""))}]
    return out


# --- per-item scoring ---------------------------------------------------------------------------
def _has(text: str, fact: str | list[str]) -> bool:
    options = [fact] if isinstance(fact, str) else fact
    low = text.lower()
    return any(o.lower() in low for o in options)


def _clause(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def ranked_clauses(citations: list[dict]) -> list[int]:
    """Distinct cited clause numbers in citation order (document-level citations are skipped)."""
    return list(dict.fromkeys(c for c in (_clause(x.get("clause")) for x in citations) if c is not None))


def first_relevant_rank(ranked: list[int], relevant: Iterable[int]) -> int | None:
    rel = set(relevant)
    return next((i for i, c in enumerate(ranked, start=1) if c in rel), None)


def context_precision(retrieved: list[int], reference: list[int]) -> float | None:
    """RAGAS IDBasedContextPrecision: |set(retrieved) ∩ set(reference)| / |set(retrieved)|; None if nothing retrieved."""
    got = set(retrieved)
    if not got or not reference:
        return None
    return len(got & set(reference)) / len(got)


def context_recall(retrieved: list[int], reference: list[int]) -> float | None:
    """RAGAS IDBasedContextRecall: |set(retrieved) ∩ set(reference)| / |set(reference)|; None without a reference."""
    ref = set(reference)
    if not ref:
        return None
    return len(set(retrieved) & ref) / len(ref)


# --- grounding ----------------------------------------------------------------------------------
FIGURE = re.compile(r"[0-9０-９]+(?:[.．/／][0-9０-９]+)*")
SPANS = re.compile(r"「([^」]+)」|《([^》]+)》|【([^】]+)】|“([^”]+)”")
CLAUSE_REF = re.compile(r"^第[^条\s]{1,4}条\s*")
LIST_MARK = re.compile(r"^(?:>\s*|\d{1,3}[.、)]\s+)")
SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+")
WS = re.compile(r"\s+")
MISATTRIBUTED_MIN = 8  # a sentence this long that is notice text of an uncited clause is misattributed


def _squash(text: str) -> str:
    return WS.sub("", text).translate(str.maketrans("０１２３４５６７８９．／", "0123456789./"))


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences: each non-blank line, without a leading "> " quote marker or "N. " list
    number, split after 。！？!? (and after ". " in English)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        while (m := LIST_MARK.match(line)):
            line = line[m.end():].strip()
        for part in SENTENCE_END.split(line):
            if part and part.strip():
                out.append(part.strip())
    return out


@dataclass
class Corpus:
    """What the grounding check needs from the notices: the text each citation may be traced to."""

    notices: list[Notice]
    today: date | None = None

    def __post_init__(self) -> None:
        from .answer import cn_date
        from .corpus import int_to_cn

        self.header: dict[str, str] = {}
        self.document: dict[str, str] = {}
        self.clauses: dict[tuple[str, int], str] = {}
        self.count: dict[str, int] = {}
        whole = []
        for n in self.notices:
            head = f"{n.doc_number}\n{n.title}\n{n.office}"
            self.header[n.doc_number] = head
            clause_texts = [f"{int_to_cn(c.number)}、{c.text}" for c in n.clauses]
            self.document[n.doc_number] = "\n".join(
                [head, n.preamble, n.effective, cn_date(n.issued), *(c.title for c in n.clauses)])
            for c, t in zip(n.clauses, clause_texts, strict=True):
                self.clauses[(n.doc_number, c.number)] = t
            self.count[n.doc_number] = len(n.clauses)
            whole.append(self.document[n.doc_number] + "\n" + "\n".join(clause_texts))
        self.squashed_all = _squash("\n".join(whole))

    def sources(self, citations: list[dict]) -> tuple[list[str], set[str]]:
        """(texts the cited sources consist of, figures an answer may derive from them)."""
        texts: list[str] = []
        derived: set[str] = {str(len(citations))}
        for cit in citations:
            doc = str(cit.get("doc_number") or "")
            number = _clause(cit.get("clause"))
            docs = [doc] if doc in self.header else ([self.notices[0].doc_number] if len(self.notices) == 1 else [])
            for d in docs:
                if number is None:
                    texts.append(self.document[d])
                elif (d, number) in self.clauses:
                    texts += [self.header[d], self.clauses[(d, number)]]
                    derived.add(str(number))
                derived.add(str(self.count[d]))
                n = next(x for x in self.notices if x.doc_number == d)
                if self.today:
                    derived |= {str(self.today.year), str(self.today.month), str(self.today.day),
                                f"{self.today.month:02d}", f"{self.today.day:02d}"}
                    if n.valid_until:
                        derived.add(str(abs((n.valid_until - self.today).days)))
        return texts, derived


def sentence_grounded(sentence: str, sources: list[str], derived: set[str], corpus: Corpus) -> bool:
    """A sentence is grounded if (a) its text occurs verbatim (ignoring whitespace) in a cited source,
    or (b) it is a frame sentence that adds nothing of its own: every figure in it (a run of digits)
    occurs as a figure of the cited sources or is derived from them (a cited clause's number, the
    notice's clause count, the number of citations, the date of the run and the days to the
    valid-until date), every quoted name in it (「…」《…》【…】“…”) occurs verbatim in a cited source,
    and it is not notice text of an uncited clause (≥ 8 characters found in the notices but not in the
    cited sources)."""
    s = _squash(sentence)
    if not s:
        return True
    squashed = [_squash(t) for t in sources]
    if any(s in t for t in squashed):
        return True
    if len(s) >= MISATTRIBUTED_MIN and s in corpus.squashed_all:
        return False
    allowed = {f for t in squashed for f in FIGURE.findall(t)} | derived
    if any(f not in allowed for f in FIGURE.findall(s)):
        return False
    for m in SPANS.finditer(sentence):
        name = _squash(CLAUSE_REF.sub("", next(g for g in m.groups() if g is not None)))
        if name and not any(name in t for t in squashed):
            return False
    return True


def grounding(answer: str, citations: list[dict], corpus: Corpus) -> tuple[float | None, list[str]]:
    """(share of the answer's sentences that are grounded, the sentences that are not); None if no sentence."""
    sentences = answer_sentences(answer)
    if not sentences:
        return None, []
    sources, derived = corpus.sources(citations)
    bad = [s for s in sentences if not sentence_grounded(s, sources, derived, corpus)]
    return 1 - len(bad) / len(sentences), bad


# --- score one answer ---------------------------------------------------------------------------
def score(item: Item, out: dict, corpus: Corpus | None = None) -> dict:
    """Per-item verdicts for one answer in the contract format.

    correct = right top clause (for "reverse": exactly the labelled set; for document-level facts:
    no clause cited first) and every fact present and no must_not string and the refusal right.
    """
    answer = str(out.get("answer", ""))
    refused = bool(out.get("refused", False))
    citations = [c for c in (out.get("citations") or []) if isinstance(c, dict)]
    first = _clause(citations[0].get("clause")) if citations else None
    ranked = ranked_clauses(citations)
    expected = item.clauses
    if item.refused:
        top_ok = True
    elif item.kind == "reverse":
        top_ok = sorted(ranked) == sorted(set(expected))
    elif expected:
        top_ok = first == expected[0]
    else:  # a document-level fact: no clause may be cited first
        top_ok = first is None
    facts_found = [_has(answer, f) for f in item.facts]
    facts_ok = all(facts_found)
    fabricated = [m for m in item.must_not if m.lower() in answer.lower()]
    refusal_ok = refused == item.refused
    rank = first_relevant_rank(ranked, expected) if expected else None
    ground, ungrounded = (None, [])
    if corpus is not None and not refused:
        ground, ungrounded = grounding(answer, citations, corpus)
    timings = dict(out.get("timings_ms") or {})
    if "total" not in timings and isinstance(out.get("latency_ms"), (int, float)):
        timings["total"] = float(out["latency_ms"])
    return {
        "id": item.id, "kind": item.kind, "lang": item.lang,
        "correct": bool(top_ok and facts_ok and not fabricated and refusal_ok),
        "top_ok": top_ok, "facts_ok": facts_ok, "no_fabrication": not fabricated, "refusal_ok": refusal_ok,
        "refused": refused, "expected_refused": item.refused, "missing": bool(out.get("missing")),
        "facts_found": sum(facts_found), "facts_total": len(facts_found), "fabricated": fabricated,
        "has_must_not": bool(item.must_not),
        "has_clause": bool(expected) and not item.refused,
        "hit1": rank is not None and rank <= 1, "hit3": rank is not None and rank <= 3,
        "rr": (1.0 / rank) if rank else 0.0,
        "context_precision": context_precision(ranked, expected),
        "context_recall": context_recall(ranked, expected),
        "grounding": ground, "ungrounded": ungrounded,
        "timings_ms": {k: float(v) for k, v in timings.items() if isinstance(v, (int, float))},
        "latency_ms": timings.get("total"),
        "cited": [_clause(c.get("clause")) for c in citations], "expected": expected,
    }


# --- running a system ---------------------------------------------------------------------------
def run(items: Iterable[Item], answer: AnswerFn) -> list[tuple[Item, dict]]:
    """Ask every item (history questions first, with the system's real answers as history)."""
    results = []
    for item in items:
        history: list[dict] = []
        for prior in item.history_questions:
            first = answer(prior, history)
            history = history + [{"role": "user", "content": prior},
                                 {"role": "assistant", "content": first.get("answer", "")}]
        results.append((item, answer(item.question, history)))
    return results


def assistant_answer_fn(assistant) -> AnswerFn:
    """The in-process assistant as an AnswerFn: the CLI contract plus the per-stage timings."""
    from .cli import contract

    def answer(question: str, history: list[dict]) -> dict:
        a = assistant.ask(question, history)
        return {**contract(a), "timings_ms": dict(a.timings_ms)}

    return answer


# --- aggregates ---------------------------------------------------------------------------------
def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _share(rows: list[dict], key: str) -> float | None:
    return sum(bool(r[key]) for r in rows) / len(rows) if rows else None


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def block(rows: list[dict]) -> dict:
    """All metrics over a group of scored items (see evals/README.md for each definition)."""
    ranked = [r for r in rows if r["has_clause"]]
    in_scope = [r for r in rows if not r["expected_refused"]]
    oos = [r for r in rows if r["expected_refused"]]
    with_facts = [r for r in in_scope if r["facts_total"]]
    with_must_not = [r for r in rows if r["has_must_not"]]
    refused = [r for r in rows if r["refused"]]
    grounded = [r for r in rows if r["grounding"] is not None]
    out = {
        "n": len(rows),
        "correct": _share(rows, "correct"),
        "hit@1": _share(ranked, "hit1"),
        "hit@3": _share(ranked, "hit3"),
        "mrr": _mean([r["rr"] for r in ranked]),
        "context_precision": _mean([r["context_precision"] for r in ranked]),
        "context_recall": _mean([r["context_recall"] for r in ranked]),
        "facts": _share(with_facts, "facts_ok"),
        "fact_recall": (sum(r["facts_found"] for r in with_facts) / sum(r["facts_total"] for r in with_facts)
                        if with_facts else None),
        "no_fabrication": _share(with_must_not, "no_fabrication"),
        "fabricated": sum(not r["no_fabrication"] for r in rows),
        "refusal_precision": (sum(r["expected_refused"] for r in refused) / len(refused)) if refused else None,
        "refusal_recall": _share(oos, "refused"),
        "oos_refused": _share(oos, "refused"),
        "false_refusals": sum(r["refused"] for r in in_scope),
        "false_refusal_rate": _share(in_scope, "refused"),
        "grounding": _mean([r["grounding"] for r in grounded]),
        "fully_grounded": (sum(r["grounding"] == 1.0 for r in grounded) / len(grounded)) if grounded else None,
        "missing": sum(r["missing"] for r in rows),
        "counts": {"ranked": len(ranked), "in_scope": len(in_scope), "oos": len(oos), "with_facts": len(with_facts),
                   "with_must_not": len(with_must_not), "refused": len(refused),
                   "grounded": len(grounded)},
    }
    for stage in STAGES:
        vals = [r["timings_ms"][stage] for r in rows if stage in r["timings_ms"]]
        out[f"{stage}_p50_ms"] = percentile(vals, 50)
        out[f"{stage}_p95_ms"] = percentile(vals, 95)
    out["latency_p50_ms"], out["latency_p95_ms"] = out["total_p50_ms"], out["total_p95_ms"]
    return out


def summarise(scored: list[dict]) -> dict:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in scored:
        by_kind[r["kind"]].append(r)
        by_lang[r["lang"]].append(r)
    order = [k for k in KINDS if k in by_kind] + sorted(k for k in by_kind if k not in KINDS)
    return {
        "overall": block(scored),
        "by_kind": {k: block(by_kind[k]) for k in order},
        "by_lang": {k: block(v) for k, v in sorted(by_lang.items())},
        "failures": [r for r in scored if not r["correct"]],
    }


def meets_bar(summary: dict) -> tuple[bool, list[str]]:
    """The core quality bar: ≥95% fully correct, every out-of-scope question refused, no false refusal."""
    o = summary["overall"]
    problems = []
    if (o["correct"] or 0.0) < 0.95:
        problems.append(f"fully correct {o['correct'] or 0.0:.1%} < 95%")
    if o["oos_refused"] is not None and o["oos_refused"] < 1.0:
        problems.append(f"out-of-scope refused {o['oos_refused']:.1%} < 100%")
    if o["false_refusals"]:
        problems.append(f"{o['false_refusals']} in-scope question(s) refused")
    return not problems, problems


def evaluate(items: list[Item], answer: AnswerFn, corpus: Corpus | None = None) -> tuple[list[dict], dict]:
    """Run a system over the items and score it: (per-item rows, summary)."""
    scored = [score(i, out, corpus) for i, out in run(items, answer)]
    return scored, summarise(scored)


def eval_report(settings, items: list[Item], set_path: Path, given: AnswersFile | None = None,
                source: str | None = None, compare: bool = False,
                warn: Callable[[str], None] = lambda msg: None) -> dict:
    """Score the assistant in-process (or the given answers of another system) and, with compare,
    the baselines; returns the report `write_reports` writes and the CLI prints."""
    import hashlib
    from datetime import datetime

    from .corpus import load_notices

    corpus = Corpus(load_notices(settings.corpus_dir), today=settings.clock())
    assistant = None
    missing: list[str] = []
    if given is not None:
        pairs, missing = given.for_items(items)
        system = f"answers: {source}" if source and not source.startswith("drive:") else (source or "answers")
        if missing:
            warn(f"{len(missing)} item(s) have no usable answer and count as wrong: "
                 + ", ".join(missing[:10]) + (" …" if len(missing) > 10 else ""))
    else:
        from .assistant import Assistant

        quiet_bm25s()
        assistant = Assistant(settings)
        ask = assistant_answer_fn(assistant)
        ask(items[0].question, [])  # warm-up (lazy loads), not timed
        pairs = run(items, ask)
        system = "assistant"
    scored = [score(i, out, corpus) for i, out in pairs]
    summary = summarise(scored)
    ok, problems = meets_bar(summary)

    comparison = None
    if compare:
        from .assistant import Assistant
        from .baselines import make_baselines

        quiet_bm25s()
        assistant = assistant or Assistant(settings)
        baselines, unavailable = make_baselines(assistant)
        systems = {system: {"description": "this run's system", "summary": summary}}
        for b in baselines:
            try:
                b.answer(items[0].question, [])  # warm-up
                b_summary = summarise([score(i, out, corpus) for i, out in run(items, b.answer)])
            finally:
                b.close()
            systems[b.name] = {"description": b.description, "summary": b_summary}
        for name, why in unavailable.items():
            warn(f"baseline {name} unavailable: {why}")
        comparison = {
            "systems": {n: {"description": v["description"],
                            "summary": {k: v["summary"][k] for k in ("overall", "by_kind", "by_lang")}}
                        for n, v in systems.items()},
            "ratios": {n: {m: ratio(summary["overall"].get(m), v["summary"]["overall"].get(m))
                           for m in COMPARE_METRICS} for n, v in systems.items() if n != system},
            "unavailable": unavailable,
        }

    report = {
        "kind": "eval",
        "created": datetime.now().isoformat(timespec="seconds"),
        "system": system,
        "set": {"path": str(set_path), "items": len(items),
                "sha256": hashlib.sha256(Path(set_path).read_bytes()).hexdigest()},
        "today": settings.clock().isoformat(),
        "embedder": assistant.store.model_id if assistant is not None else None,
        "bar": {"met": ok, "problems": problems},
        "summary": {k: summary[k] for k in ("overall", "by_kind", "by_lang")},
        "failures": summary["failures"],
        "items": scored,
        "answers": [{"id": i.id, **out} for i, out in pairs],
        "compare": comparison,
    }
    if given is not None:
        report["answers_file"] = {"path": source, "lines": given.lines, "used": len(pairs) - len(missing),
                                  "missing": missing, "problems": given.problems}
    return report


# --- console table ------------------------------------------------------------------------------
COLUMNS = [("n", "n"), ("correct", "correct"), ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("mrr", "MRR"),
           ("context_precision", "ctxP"), ("context_recall", "ctxR"), ("facts", "facts"),
           ("fabricated", "fabr"), ("refusal_precision", "refP"), ("refusal_recall", "refR"),
           ("false_refusals", "falseR"), ("grounding", "ground"), ("total_p50_ms", "p50ms"),
           ("total_p95_ms", "p95ms")]


def fmt(v: object, key: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if key.endswith("_ms"):
        return f"{v:.1f}" if v >= 1 else f"{v:.2f}"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def rows_of(summary: dict) -> Iterator[tuple[str, dict]]:
    yield "overall", summary["overall"]
    for k, v in summary["by_kind"].items():
        yield f"kind:{k}", v
    for k, v in summary["by_lang"].items():
        yield f"lang:{k}", v


def table(summary: dict) -> str:
    rows = list(rows_of(summary))
    width = max(len(name) for name, _ in rows) + 1
    cw = 8
    out = ["".ljust(width) + "".join(label.rjust(cw) for _, label in COLUMNS)]
    for name, b in rows:
        out.append(name.ljust(width) + "".join(fmt(b[key], key).rjust(cw) for key, _ in COLUMNS))
    return "\n".join(out)


COMPARE_METRICS = ["correct", "hit@1", "hit@3", "mrr", "context_precision", "context_recall", "facts",
                   "no_fabrication", "refusal_recall", "false_refusals", "grounding", "total_p50_ms", "total_p95_ms"]


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def compare_table(systems: dict[str, dict], main: str = "assistant") -> str:
    """Overall metrics side by side; "×name" columns are the main system's value divided by that one's."""
    names = list(systems)
    others = [n for n in names if n != main]
    cw = max(10, *(len(n) + 2 for n in names))
    head = "metric".ljust(18) + "".join(n.rjust(cw) for n in names) + "".join(f"×{n}".rjust(cw) for n in others)
    out = [head]
    for m in COMPARE_METRICS:
        vals = [systems[n]["overall"].get(m) for n in names]
        line = m.ljust(18) + "".join(fmt(v, m).rjust(cw) for v in vals)
        for n in others:
            r = ratio(systems[main]["overall"].get(m), systems[n]["overall"].get(m))
            line += ("-" if r is None else f"{r:.2f}").rjust(cw)
        out.append(line)
    return "\n".join(out)


# --- driving another system over the contract ---------------------------------------------------
def drive(items: list[Item], command: list[str], timeout: float = 600.0) -> AnswersFile:
    """Ask a system that speaks `ask --jsonl` (one process per round, so output buffering is fine):
    round 1 asks every first turn, each later round the next turns with the answers so far."""
    import subprocess

    got = AnswersFile(rows={}, lines=0, problems=[])
    while True:
        pending = requests(items, got.rows)
        if not pending:
            return got
        stdin = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pending)
        proc = subprocess.run(command, check=False, input=stdin, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            got.problems.append(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
        batch = read_answers(io.StringIO(proc.stdout))
        got.lines += batch.lines
        got.problems += batch.problems
        wanted = {r["id"] for r in pending}
        new = {k: v for k, v in batch.rows.items() if k in wanted and k not in got.rows}
        if not new:
            got.problems.append(f"no usable answer for {len(pending)} pending request(s); stopped")
            return got
        got.rows.update(new)


# --- report files -------------------------------------------------------------------------------
def new_stem(reports_dir: Path, prefix: str = "") -> Path:
    """reports_dir/<prefix><YYYYmmdd-HHMMSS> (with -2, -3 … if that exists already)."""
    from datetime import datetime

    reports_dir.mkdir(parents=True, exist_ok=True)
    base = prefix + datetime.now().strftime("%Y%m%d-%H%M%S")
    stem, k = reports_dir / base, 2
    while any(stem.with_suffix(s).exists() for s in (".json", ".md", ".png")):
        stem, k = reports_dir / f"{base}-{k}", k + 1
    return stem


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


MD_METRICS = [("correct", "fully correct"), ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("mrr", "MRR"),
              ("context_precision", "context precision (ID)"), ("context_recall", "context recall (ID)"),
              ("facts", "key facts (all present)"), ("fact_recall", "key facts (share found)"),
              ("no_fabrication", "no fabrication (items with must_not)"), ("fabricated", "fabricated answers"),
              ("refusal_precision", "refusal precision"), ("refusal_recall", "refusal recall (oos refused)"),
              ("false_refusals", "false refusals (in scope)"), ("grounding", "grounding"),
              ("fully_grounded", "fully grounded answers"),
              ("route_p50_ms", "route p50 ms"), ("route_p95_ms", "route p95 ms"),
              ("retrieve_p50_ms", "retrieve p50 ms"), ("retrieve_p95_ms", "retrieve p95 ms"),
              ("answer_p50_ms", "answer p50 ms"), ("answer_p95_ms", "answer p95 ms"),
              ("total_p50_ms", "total p50 ms"), ("total_p95_ms", "total p95 ms")]


OVER = {"correct": ("n", "all items"), "hit@1": ("ranked", "items labelled with clauses"),
        "hit@3": ("ranked", "items labelled with clauses"), "mrr": ("ranked", "items labelled with clauses"),
        "context_precision": ("ranked", "items labelled with clauses, citing ≥ 1 clause"),
        "context_recall": ("ranked", "items labelled with clauses"), "facts": ("with_facts", "in-scope items with facts"),
        "fact_recall": ("with_facts", "in-scope items with facts"),
        "no_fabrication": ("with_must_not", "items with must_not"), "fabricated": ("n", "all items"),
        "refusal_precision": ("refused", "refused answers"), "refusal_recall": ("oos", "out-of-scope items"),
        "false_refusals": ("in_scope", "in-scope items"), "grounding": ("grounded", "answered, non-empty"),
        "fully_grounded": ("grounded", "answered, non-empty")}


def _over(key: str, counts: dict) -> str:
    if key not in OVER:
        return "items timed for that stage"
    name, label = OVER[key]
    return f"{counts.get(name, '')} {label}"


def quiet_bm25s() -> None:
    """bm25s sets its own logger to DEBUG when imported; keep our console to results."""
    import logging

    import bm25s  # noqa: F401

    logging.getLogger("bm25s").setLevel(max(logging.getLogger().level, logging.WARNING))


def markdown(report: dict) -> str:
    s = report["summary"]
    lines = [f"# Evaluation of {report['system']} — {report['created']}", "",
             (f"Question set: `{report['set']['path']}` ({report['set']['items']} items, sha256 "
              f"{report['set']['sha256'][:12]}). Date of the run (validity): {report['today']}. "
              "Metric definitions: evals/README.md."), "",
             "Quality bar (≥ 95% fully correct, 100% out-of-scope refused, no in-scope refusal): "
             + ("**met**" if report["bar"]["met"] else "**NOT met** — " + "; ".join(report["bar"]["problems"])), ""]
    if report.get("answers_file"):
        af = report["answers_file"]
        lines += [(f"Answers file: `{af['path']}` — {af['lines']} lines, {af['used']} scored, "
                   f"{len(af['missing'])} items without a usable answer, {len(af['problems'])} problem line(s)."), ""]
        lines += [f"- {p}" for p in af["problems"][:30]] + ([""] if af["problems"] else [])
    lines += ["## Overall", ""]
    counts = s["overall"]["counts"]
    lines += _md_table(["metric", "value", "over"], [[label, fmt(s["overall"].get(k), k), _over(k, counts)]
                                                     for k, label in MD_METRICS])
    lines += ["", "## By kind and language", ""]
    cols = [k for k, _ in COLUMNS]
    lines += _md_table(["group", *[lbl for _, lbl in COLUMNS]],
                       [[name, *[fmt(b[k], k) for k in cols]] for name, b in rows_of(s)])
    comp = report.get("compare")
    if comp:
        names = list(comp["systems"])
        main = names[0]
        others = names[1:]
        lines += ["", "## Compared with baselines (same run, same scorer)", ""]
        lines += [f"- **{n}**: {comp['systems'][n]['description']}" for n in names]
        lines += [f"- {n}: unavailable — {why}" for n, why in comp.get("unavailable", {}).items()]
        lines += ["", (f"Ratios are {main} ÷ baseline (higher is better for accuracy, lower for latency). "
                       "Baselines never refuse."), ""]
        rows = []
        for m in COMPARE_METRICS:
            vals = [comp["systems"][n]["summary"]["overall"].get(m) for n in names]
            rs = [comp["ratios"][n].get(m) for n in others]
            rows.append([m, *[fmt(v, m) for v in vals], *["-" if r is None else f"{r:.2f}×" for r in rs]])
        lines += _md_table(["metric", *names, *[f"{main} ÷ {n}" for n in others]], rows)
        lines += ["", "Fully correct by kind and language:", ""]
        groups = [("overall", None)] + [(f"kind:{k}", ("by_kind", k)) for k in s["by_kind"]] + [
            (f"lang:{k}", ("by_lang", k)) for k in s["by_lang"]]
        rows = []
        for label, where in groups:
            vals = []
            for n in names:
                sm = comp["systems"][n]["summary"]
                b = sm["overall"] if where is None else sm[where[0]].get(where[1], {})
                vals.append(fmt(b.get("correct"), "correct"))
            rows.append([label, *vals])
        lines += _md_table(["group", *names], rows)
    fails = report["failures"]
    lines += ["", f"## Not fully correct ({len(fails)})", ""]
    for f in fails:
        why = [w for w, ok in (("top clause", f["top_ok"]), ("facts", f["facts_ok"]),
                                ("fabrication", f["no_fabrication"]), ("refusal", f["refusal_ok"])) if not ok]
        lines.append(f"- `{f['id']}` ({f['kind']}/{f['lang']}): wrong {', '.join(why)}; expected {f['expected']}, "
                     f"cited {f['cited']}" + (f"; fabricated {f['fabricated']}" if f["fabricated"] else ""))
    ungrounded = [r for r in report["items"] if r.get("ungrounded")]
    if ungrounded:
        lines += ["", f"## Ungrounded sentences ({len(ungrounded)} answers)", ""]
        for r in ungrounded[:40]:
            lines.append(f"- `{r['id']}`: " + " / ".join(f"“{u[:80]}”" for u in r["ungrounded"][:3]))
    if report.get("figure"):
        lines += ["", f"![accuracy and latency]({Path(report['figure']).name})"]
    return "\n".join(lines) + "\n"


def figure(report: dict, path: Path) -> None:
    """Accuracy (fully correct) by kind and by language as grouped bars, and latency per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = {report["system"]: report["summary"]}
    if report.get("compare"):
        systems = {n: v["summary"] for n, v in report["compare"]["systems"].items()}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), gridspec_kw={"width_ratios": [3, 1.2, 2]})
    for ax, key, title in ((axes[0], "by_kind", "fully correct by kind"), (axes[1], "by_lang", "by language")):
        groups = list(report["summary"][key])
        width = 0.8 / len(systems)
        for j, (name, sm) in enumerate(systems.items()):
            vals = [(sm[key].get(g, {}).get("correct") or 0.0) for g in groups]
            ax.bar([i + j * width for i in range(len(groups))], vals, width, label=name)
        ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(groups))], groups)
        ax.set_ylim(0, 1.05)
        ax.set_title(title)
        ax.axhline(0.95, color="grey", lw=0.8, ls="--")
    handles, labels = axes[0].get_legend_handles_labels()
    stages = [st for st in STAGES if any(st in r["timings_ms"] for r in report["items"])]
    data = [[r["timings_ms"][st] for r in report["items"] if st in r["timings_ms"]] for st in stages]
    ax = axes[2]
    if data and any(data):
        ax.boxplot(data, showfliers=True)
        ax.set_xticks(range(1, len(stages) + 1), [f"{st}\n(n={len(d)})" for st, d in zip(stages, data, strict=True)])
        ax.set_yscale("log")
        ax.set_ylabel("ms")
    ax.set_title(f"latency per stage — {report['system']}")
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(report: dict, reports_dir: Path, with_figure: bool = True) -> dict[str, Path]:
    stem = new_stem(Path(reports_dir))
    paths = {"json": stem.with_suffix(".json"), "md": stem.with_suffix(".md")}
    if with_figure:
        paths["png"] = stem.with_suffix(".png")
        figure(report, paths["png"])
        report["figure"] = str(paths["png"])
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(report), encoding="utf-8")
    return paths
