"""Score answers against a labelled question set (evals/questions.jsonl; format in evals/README.md).

Scoring works on the CLI contract's JSON (answer, refused, citations[].clause), so it can score
this assistant in-process or a JSONL of answers produced by any other system.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

AnswerFn = Callable[[str, list[dict]], dict]
KINDS = ["fact", "lookup", "units", "reverse", "meta", "followup", "oos"]


@dataclass
class Item:
    id: str
    kind: str
    lang: str
    question: str
    clauses: list[int]
    facts: list[str | list[str]]
    refused: bool
    must_not: list[str] = field(default_factory=list)
    history_questions: list[str] = field(default_factory=list)


def load_items(path: Path) -> list[Item]:
    items = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        d = json.loads(line)
        e = d["expect"]
        items.append(Item(id=str(d["id"]), kind=d["kind"], lang=d.get("lang", "zh"), question=d["question"],
                          clauses=list(e.get("clauses", [])), facts=list(e.get("facts", [])),
                          refused=bool(e.get("refused", False)), must_not=list(e.get("must_not", [])),
                          history_questions=list(d.get("history_questions", []))))
    return items


def _has(text: str, fact: str | list[str]) -> bool:
    options = [fact] if isinstance(fact, str) else fact
    low = text.lower()
    return any(o.lower() in low for o in options)


def score(item: Item, out: dict) -> dict:
    """Per-item verdicts for one answer in the contract format."""
    answer = str(out.get("answer", ""))
    refused = bool(out.get("refused", False))
    cited = [c.get("clause") for c in out.get("citations") or []]
    cited_clauses = [c for c in cited if isinstance(c, int)]
    expected = item.clauses
    rank = next((i + 1 for i, c in enumerate(cited_clauses) if expected and c == expected[0]), None)
    if item.refused:
        top_ok = True
    elif item.kind == "reverse":
        top_ok = sorted(set(cited_clauses)) == sorted(expected)
    elif expected:
        top_ok = bool(cited) and cited[0] == expected[0]
    else:  # a document-level fact: no clause may be cited first
        top_ok = not cited or cited[0] is None
    facts_ok = all(_has(answer, f) for f in item.facts)
    clean = not any(m.lower() in answer.lower() for m in item.must_not)
    refusal_ok = refused == item.refused
    relevant = set(expected)
    retrieved = list(dict.fromkeys(cited_clauses))
    # RAGAS ID-based context precision / recall over clause ids.
    precision = (len([c for c in retrieved if c in relevant]) / len(retrieved)) if retrieved else (1.0 if not relevant else 0.0)
    recall = (len(relevant & set(retrieved)) / len(relevant)) if relevant else 1.0
    return {
        "id": item.id, "kind": item.kind, "lang": item.lang,
        "correct": bool(top_ok and facts_ok and clean and refusal_ok),
        "top_ok": top_ok, "facts_ok": facts_ok, "no_fabrication": clean, "refusal_ok": refusal_ok,
        "refused": refused, "expected_refused": item.refused,
        "hit1": bool(expected) and rank == 1, "hit3": bool(expected) and rank is not None and rank <= 3,
        "rr": (1.0 / rank) if rank else 0.0, "has_clause": bool(expected),
        "context_precision": precision, "context_recall": recall,
        "latency_ms": out.get("latency_ms"),
        "cited": cited, "expected": expected,
    }


def run(items: Iterable[Item], answer: AnswerFn) -> list[tuple[Item, dict]]:
    """Ask every item (history questions first, with the real answers as history)."""
    results = []
    for item in items:
        history: list[dict] = []
        for prior in item.history_questions:
            first = answer(prior, history)
            history = history + [{"role": "user", "content": prior},
                                 {"role": "assistant", "content": first.get("answer", "")}]
        results.append((item, answer(item.question, history)))
    return results


def summarise(scored: list[dict]) -> dict:
    def block(rows: list[dict]) -> dict:
        with_clause = [r for r in rows if r["has_clause"]]
        in_scope = [r for r in rows if not r["expected_refused"]]
        oos = [r for r in rows if r["expected_refused"]]
        lat = [r["latency_ms"] for r in rows if isinstance(r.get("latency_ms"), (int, float))]
        return {
            "n": len(rows),
            "correct": sum(r["correct"] for r in rows) / len(rows) if rows else 0.0,
            "hit@1": sum(r["hit1"] for r in with_clause) / len(with_clause) if with_clause else None,
            "hit@3": sum(r["hit3"] for r in with_clause) / len(with_clause) if with_clause else None,
            "mrr": sum(r["rr"] for r in with_clause) / len(with_clause) if with_clause else None,
            "context_precision": statistics.fmean(r["context_precision"] for r in in_scope) if in_scope else None,
            "context_recall": statistics.fmean(r["context_recall"] for r in in_scope) if in_scope else None,
            "facts": sum(r["facts_ok"] for r in in_scope) / len(in_scope) if in_scope else None,
            "oos_refused": sum(r["refused"] for r in oos) / len(oos) if oos else None,
            "false_refusals": sum(r["refused"] for r in in_scope),
            "latency_p50_ms": statistics.median(lat) if lat else None,
        }

    by_kind: dict[str, list[dict]] = defaultdict(list)
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in scored:
        by_kind[r["kind"]].append(r)
        by_lang[r["lang"]].append(r)
    return {
        "overall": block(scored),
        "by_kind": {k: block(by_kind[k]) for k in KINDS if k in by_kind} | {
            k: block(v) for k, v in by_kind.items() if k not in KINDS},
        "by_lang": {k: block(v) for k, v in sorted(by_lang.items())},
        "failures": [r for r in scored if not r["correct"]],
    }


def meets_bar(summary: dict) -> tuple[bool, list[str]]:
    """The core quality bar: ≥95% fully correct, every out-of-scope question refused, no false refusal."""
    o = summary["overall"]
    problems = []
    if o["correct"] < 0.95:
        problems.append(f"fully correct {o['correct']:.1%} < 95%")
    if o["oos_refused"] is not None and o["oos_refused"] < 1.0:
        problems.append(f"out-of-scope refused {o['oos_refused']:.1%} < 100%")
    if o["false_refusals"]:
        problems.append(f"{o['false_refusals']} in-scope question(s) refused")
    return not problems, problems


def table(summary: dict) -> str:
    def fmt(v: object) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
        return str(v)

    cols = ["n", "correct", "hit@1", "hit@3", "mrr", "facts", "oos_refused", "false_refusals", "latency_p50_ms"]
    rows = [("overall", summary["overall"])] + [(f"kind:{k}", v) for k, v in summary["by_kind"].items()] + [
        (f"lang:{k}", v) for k, v in summary["by_lang"].items()]
    width = max(len(name) for name, _ in rows) + 2
    out = ["".ljust(width) + "".join(c.rjust(15) for c in cols)]
    for name, b in rows:
        out.append(name.ljust(width) + "".join(fmt(b[c]).rjust(15) for c in cols))
    return "\n".join(out)
