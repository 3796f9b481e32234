"""What an evaluation prints and writes: the console table, the side-by-side comparison with the
baselines, the Markdown report, the figure (matplotlib, optional: the `eval` extra) and the report
files <timestamp>.json/.md/.png."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .scoring import COMPARE_METRICS, STAGES, ratio

COLUMNS = [
    ("n", "n"),
    ("correct", "correct"),
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("mrr", "MRR"),
    ("context_precision", "ctxP"),
    ("context_recall", "ctxR"),
    ("facts", "facts"),
    ("fabricated", "fabr"),
    ("refusal_precision", "refP"),
    ("refusal_recall", "refR"),
    ("false_refusals", "falseR"),
    ("grounding", "ground"),
    ("total_p50_ms", "p50ms"),
    ("total_p95_ms", "p95ms"),
]
MD_METRICS = [
    ("correct", "fully correct"),
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("mrr", "MRR"),
    ("context_precision", "context precision (ID)"),
    ("context_recall", "context recall (ID)"),
    ("facts", "key facts (all present)"),
    ("fact_recall", "key facts (share found)"),
    ("no_fabrication", "no fabrication (items with must_not)"),
    ("fabricated", "fabricated answers"),
    ("refusal_precision", "refusal precision"),
    ("refusal_recall", "refusal recall (oos refused)"),
    ("false_refusals", "false refusals (in scope)"),
    ("grounding", "grounding"),
    ("fully_grounded", "fully grounded answers"),
    ("route_p50_ms", "route p50 ms"),
    ("route_p95_ms", "route p95 ms"),
    ("retrieve_p50_ms", "retrieve p50 ms"),
    ("retrieve_p95_ms", "retrieve p95 ms"),
    ("answer_p50_ms", "answer p50 ms"),
    ("answer_p95_ms", "answer p95 ms"),
    ("total_p50_ms", "total p50 ms"),
    ("total_p95_ms", "total p95 ms"),
]
OVER = {
    "correct": ("n", "all items"),
    "hit@1": ("ranked", "items labelled with clauses"),
    "hit@3": ("ranked", "items labelled with clauses"),
    "mrr": ("ranked", "items labelled with clauses"),
    "context_precision": ("ranked", "items labelled with clauses, citing ≥ 1 clause"),
    "context_recall": ("ranked", "items labelled with clauses"),
    "facts": ("with_facts", "in-scope items with facts"),
    "fact_recall": ("with_facts", "in-scope items with facts"),
    "no_fabrication": ("with_must_not", "items with must_not"),
    "fabricated": ("n", "all items"),
    "refusal_precision": ("refused", "refused answers"),
    "refusal_recall": ("oos", "out-of-scope items"),
    "false_refusals": ("in_scope", "in-scope items"),
    "grounding": ("grounded", "answered, non-empty"),
    "fully_grounded": ("grounded", "answered, non-empty"),
}


# --- console ------------------------------------------------------------------------------------
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
    """The console table: one row overall, one per kind and one per language."""
    rows = list(rows_of(summary))
    width = max(len(name) for name, _ in rows) + 1
    cw = 8
    out = ["".ljust(width) + "".join(label.rjust(cw) for _, label in COLUMNS)]
    for name, b in rows:
        out.append(name.ljust(width) + "".join(fmt(b[key], key).rjust(cw) for key, _ in COLUMNS))
    return "\n".join(out)


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


# --- report files -------------------------------------------------------------------------------
def new_stem(reports_dir: Path, prefix: str = "") -> Path:
    """reports_dir/<prefix><YYYYmmdd-HHMMSS> (with -2, -3 … if that exists already)."""
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


def _over(key: str, counts: dict) -> str:
    if key not in OVER:
        return "items timed for that stage"
    name, label = OVER[key]
    return f"{counts.get(name, '')} {label}"


def markdown(report: dict) -> str:
    s = report["summary"]
    lines = [
        f"# Evaluation of {report['system']} — {report['created']}",
        "",
        (
            f"Question set: `{report['set']['path']}` ({report['set']['items']} items, sha256 "
            f"{report['set']['sha256'][:12]}). Date of the run (validity): {report['today']}. "
            "Metric definitions: evals/README.md."
        ),
        "",
        "Quality bar (≥ 95% fully correct, 100% out-of-scope refused, no in-scope refusal): "
        + ("**met**" if report["bar"]["met"] else "**NOT met** — " + "; ".join(report["bar"]["problems"])),
        "",
    ]
    if report.get("answers_file"):
        af = report["answers_file"]
        lines += [
            (
                f"Answers file: `{af['path']}` — {af['lines']} lines, {af['used']} scored, "
                f"{len(af['missing'])} items without a usable answer, {len(af['problems'])} problem line(s)."
            ),
            "",
        ]
        lines += [f"- {p}" for p in af["problems"][:30]] + ([""] if af["problems"] else [])
    lines += ["## Overall", ""]
    counts = s["overall"]["counts"]
    lines += _md_table(
        ["metric", "value", "over"], [[label, fmt(s["overall"].get(k), k), _over(k, counts)] for k, label in MD_METRICS]
    )
    lines += ["", "## By kind and language", ""]
    cols = [k for k, _ in COLUMNS]
    lines += _md_table(
        ["group", *[lbl for _, lbl in COLUMNS]], [[name, *[fmt(b[k], k) for k in cols]] for name, b in rows_of(s)]
    )
    comp = report.get("compare")
    if comp:
        names = list(comp["systems"])
        main = names[0]
        others = names[1:]
        lines += ["", "## Compared with baselines (same run, same scorer)", ""]
        lines += [f"- **{n}**: {comp['systems'][n]['description']}" for n in names]
        lines += [f"- {n}: unavailable — {why}" for n, why in comp.get("unavailable", {}).items()]
        lines += [
            "",
            (
                f"Ratios are {main} ÷ baseline (higher is better for accuracy, lower for latency). "
                "Baselines never refuse."
            ),
            "",
        ]
        rows = []
        for m in COMPARE_METRICS:
            vals = [comp["systems"][n]["summary"]["overall"].get(m) for n in names]
            rs = [comp["ratios"][n].get(m) for n in others]
            rows.append([m, *[fmt(v, m) for v in vals], *["-" if r is None else f"{r:.2f}×" for r in rs]])
        lines += _md_table(["metric", *names, *[f"{main} ÷ {n}" for n in others]], rows)
        lines += ["", "Fully correct by kind and language:", ""]
        groups = (
            [("overall", None)]
            + [(f"kind:{k}", ("by_kind", k)) for k in s["by_kind"]]
            + [(f"lang:{k}", ("by_lang", k)) for k in s["by_lang"]]
        )
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
        why = [
            w
            for w, ok in (
                ("top clause", f["top_ok"]),
                ("facts", f["facts_ok"]),
                ("fabrication", f["no_fabrication"]),
                ("refusal", f["refusal_ok"]),
            )
            if not ok
        ]
        lines.append(
            f"- `{f['id']}` ({f['kind']}/{f['lang']}): wrong {', '.join(why)}; expected {f['expected']}, "
            f"cited {f['cited']}" + (f"; fabricated {f['fabricated']}" if f["fabricated"] else "")
        )
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
    """Write <timestamp>.json, .md and (with_figure) .png into reports_dir; returns their paths."""
    stem = new_stem(Path(reports_dir))
    paths = {"json": stem.with_suffix(".json"), "md": stem.with_suffix(".md")}
    if with_figure:
        paths["png"] = stem.with_suffix(".png")
        figure(report, paths["png"])
        report["figure"] = str(paths["png"])
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(report), encoding="utf-8")
    return paths
