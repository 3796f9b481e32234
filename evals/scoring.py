"""Scoring answers in the CLI contract's JSON (answer, refused, citations[].clause) against labelled
items, and the aggregate metrics over a group of scored items. The same scorer grades this assistant
in-process, the baselines of `--compare`, or a JSONL of answers written by any other system. Every
metric is defined in evals/README.md ("Metrics"); the docstrings below give the same definitions."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable

from assistant import Kind

from .datasets import Item, clause_number
from .grounding import Corpus, grounding

# Report order of the kinds; kinds of a set outside this list (e.g. "multi") follow, sorted.
KINDS: list[str] = [
    str(k) for k in (Kind.FACT, Kind.LOOKUP, Kind.UNITS, Kind.REVERSE, Kind.META, Kind.FOLLOWUP, Kind.OOS)
]
STAGES = ["route", "retrieve", "answer", "total"]
COMPARE_METRICS = [
    "correct",
    "hit@1",
    "hit@3",
    "mrr",
    "context_precision",
    "context_recall",
    "facts",
    "no_fabrication",
    "refusal_recall",
    "false_refusals",
    "grounding",
    "total_p50_ms",
    "total_p95_ms",
]


# --- per-item metrics ---------------------------------------------------------------------------
def _has(text: str, fact: str | list[str]) -> bool:
    options = [fact] if isinstance(fact, str) else fact
    low = text.lower()
    return any(o.lower() in low for o in options)


def ranked_clauses(citations: list[dict]) -> list[int]:
    """Distinct cited clause numbers in citation order (document-level citations are skipped)."""
    return list(dict.fromkeys(c for c in (clause_number(x.get("clause")) for x in citations) if c is not None))


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


def score(item: Item, out: dict, corpus: Corpus | None = None) -> dict:
    """Per-item verdicts for one answer in the contract format.

    correct = right top clause (for "reverse": exactly the labelled set; for document-level facts:
    no clause cited first) and every fact present and no must_not string and the refusal right.
    """
    answer = str(out.get("answer", ""))
    refused = bool(out.get("refused", False))
    citations = [c for c in (out.get("citations") or []) if isinstance(c, dict)]
    # With a labelled notice (item.doc), the answer must cite that notice first; clauses of other
    # notices do not count. Citations without doc_id (another system's) are scored on clauses alone.
    doc_ok = True
    if item.doc and any("doc_id" in c for c in citations):
        doc_ok = not citations or citations[0].get("doc_id") == item.doc
        citations_of_doc = [c for c in citations if c.get("doc_id") == item.doc]
    else:
        citations_of_doc = citations
    first = clause_number(citations[0].get("clause")) if citations else None
    ranked = ranked_clauses(citations_of_doc)
    expected = item.clauses
    if item.refused:
        top_ok = True
    elif item.kind == "reverse":
        top_ok = sorted(ranked) == sorted(set(expected))
    elif expected:
        top_ok = first == expected[0]
    else:  # a document-level fact: no clause may be cited first
        top_ok = first is None
    top_ok = top_ok and (doc_ok or item.refused)
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
        "id": item.id,
        "kind": item.kind,
        "lang": item.lang,
        "correct": bool(top_ok and facts_ok and not fabricated and refusal_ok),
        "top_ok": top_ok,
        "facts_ok": facts_ok,
        "no_fabrication": not fabricated,
        "refusal_ok": refusal_ok,
        "refused": refused,
        "expected_refused": item.refused,
        "missing": bool(out.get("missing")),
        "facts_found": sum(facts_found),
        "facts_total": len(facts_found),
        "fabricated": fabricated,
        "has_must_not": bool(item.must_not),
        "has_clause": bool(expected) and not item.refused,
        "hit1": rank is not None and rank <= 1,
        "hit3": rank is not None and rank <= 3,
        "rr": (1.0 / rank) if rank else 0.0,
        "context_precision": context_precision(ranked, expected),
        "context_recall": context_recall(ranked, expected),
        "grounding": ground,
        "ungrounded": ungrounded,
        "timings_ms": {k: float(v) for k, v in timings.items() if isinstance(v, (int, float))},
        "latency_ms": timings.get("total"),
        "cited": [clause_number(c.get("clause")) for c in citations],
        "expected": expected,
    }


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
        "fact_recall": (
            sum(r["facts_found"] for r in with_facts) / sum(r["facts_total"] for r in with_facts)
            if with_facts
            else None
        ),
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
        "counts": {
            "n": len(rows),
            "ranked": len(ranked),
            "in_scope": len(in_scope),
            "oos": len(oos),
            "with_facts": len(with_facts),
            "with_must_not": len(with_must_not),
            "refused": len(refused),
            "grounded": len(grounded),
        },
    }
    for stage in STAGES:
        vals = [r["timings_ms"][stage] for r in rows if stage in r["timings_ms"]]
        out[f"{stage}_p50_ms"] = percentile(vals, 50)
        out[f"{stage}_p95_ms"] = percentile(vals, 95)
    out["latency_p50_ms"], out["latency_p95_ms"] = out["total_p50_ms"], out["total_p95_ms"]
    return out


def summarise(scored: list[dict]) -> dict:
    """{"overall", "by_kind" (in KINDS order, then other kinds sorted), "by_lang", "failures"}."""
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


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b (the main system's metric over a baseline's); None when either is missing or b is 0."""
    if a is None or b is None or b == 0:
        return None
    return a / b
