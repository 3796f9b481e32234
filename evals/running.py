"""Running a system over a question set: in-process (the assistant or a baseline, as an AnswerFn) or
over the contract (`drive`: any command that speaks `ask --jsonl`), and the whole evaluation report
that `policy-assistant eval` prints and `reports.write_reports` writes."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from assistant import Assistant, Settings, load_notices
from assistant.contract import answer_json

from .datasets import AnswerFn, AnswersFile, Item, read_answers, requests
from .grounding import Corpus
from .scoring import COMPARE_METRICS, meets_bar, ratio, score, summarise


def run(items: Iterable[Item], answer: AnswerFn) -> list[tuple[Item, dict]]:
    """Ask every item (history questions first, with the system's real answers as history)."""
    results = []
    for item in items:
        history: list[dict] = []
        for prior in item.history_questions:
            first = answer(prior, history)
            history = history + [
                {"role": "user", "content": prior},
                {"role": "assistant", "content": first.get("answer", "")},
            ]
        results.append((item, answer(item.question, history)))
    return results


def assistant_answer_fn(assistant: Assistant) -> AnswerFn:
    """The in-process assistant as an AnswerFn: the CLI contract plus the per-stage timings."""

    def answer(question: str, history: list[dict]) -> dict:
        a = assistant.ask(question, history)
        return {**answer_json(a), "timings_ms": dict(a.timings_ms)}

    return answer


def drive(items: list[Item], command: list[str], timeout: float = 600.0) -> AnswersFile:
    """Ask a system that speaks `ask --jsonl` (one process per round, so output buffering is fine):
    round 1 asks every first turn, each later round the next turns with the answers so far."""
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


def quiet_bm25s() -> None:
    """bm25s sets its own logger to DEBUG when imported; keep our console to results."""
    import logging

    import bm25s  # noqa: F401

    logging.getLogger("bm25s").setLevel(max(logging.getLogger().level, logging.WARNING))


def evaluate(items: list[Item], answer: AnswerFn, corpus: Corpus | None = None) -> tuple[list[dict], dict]:
    """Run a system over the items and score it: (per-item rows, summary)."""
    scored = [score(i, out, corpus) for i, out in run(items, answer)]
    return scored, summarise(scored)


def eval_report(
    settings: Settings,
    items: list[Item],
    set_path: Path,
    given: AnswersFile | None = None,
    source: str | None = None,
    compare: bool = False,
    warn: Callable[[str], None] = lambda msg: None,
) -> dict:
    """Score the assistant in-process (or the given answers of another system) and, with compare,
    the baselines; returns the report `write_reports` writes and the CLI prints."""
    corpus = Corpus(load_notices(settings.corpus_dir), today=settings.clock())
    assistant = None
    missing: list[str] = []
    if given is not None:
        pairs, missing = given.for_items(items)
        system = f"answers: {source}" if source and not source.startswith("drive:") else (source or "answers")
        if missing:
            warn(
                f"{len(missing)} item(s) have no usable answer and count as wrong: "
                + ", ".join(missing[:10])
                + (" …" if len(missing) > 10 else "")
            )
    else:
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
            "systems": {
                n: {
                    "description": v["description"],
                    "summary": {k: v["summary"][k] for k in ("overall", "by_kind", "by_lang")},
                }
                for n, v in systems.items()
            },
            "ratios": {
                n: {m: ratio(summary["overall"].get(m), v["summary"]["overall"].get(m)) for m in COMPARE_METRICS}
                for n, v in systems.items()
                if n != system
            },
            "unavailable": unavailable,
        }

    report = {
        "kind": "eval",
        "created": datetime.now().isoformat(timespec="seconds"),
        "system": system,
        "set": {
            "path": str(set_path),
            "items": len(items),
            "sha256": hashlib.sha256(Path(set_path).read_bytes()).hexdigest(),
        },
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
        report["answers_file"] = {
            "path": source,
            "lines": given.lines,
            "used": len(pairs) - len(missing),
            "missing": missing,
            "problems": given.problems,
        }
    return report
