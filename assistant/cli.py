"""policy-assistant: a thin command line over Assistant (ask / index / eval / bench / serve)."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import date
from pathlib import Path

import click

from .config import Settings


def _settings(today: str | None) -> Settings:
    s = Settings.from_env()
    return s.with_(today=date.fromisoformat(today)) if today else s


def _assistant(settings: Settings, rebuild: bool = False):
    from .assistant import Assistant

    return Assistant(settings, rebuild=rebuild)


def contract(answer, id_=None, with_id: bool = False) -> dict:
    """The JSON an evaluation script receives (README: "JSON contract")."""
    out = {"id": id_} if with_id else {}
    out.update(answer.to_json())
    out["latency_ms"] = answer.timings_ms.get("total", 0.0)
    return out


def _print_json(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@click.group()
@click.option("-v", "--verbose", count=True, help="log to stderr (-v info, -vv debug)")
def main(verbose: int) -> None:
    """Answer questions about the Xi'an industrial-policy notice, with clause citations."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(max(level, logging.WARNING))


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--jsonl", is_flag=True, help="read JSON lines {id, question, history} on stdin, write one per line")
@click.option("--today", help="judge validity as of this date (YYYY-MM-DD); default: today")
def ask(question: str | None, as_json: bool, jsonl: bool, today: str | None) -> None:
    """Answer QUESTION (or a batch of JSON lines with --jsonl, or an interactive session)."""
    from .assistant import InvalidQuestion

    settings = _settings(today)
    if jsonl:
        a = _assistant(settings)
        for line in sys.stdin:
            if not line.strip():
                continue
            _print_json(_jsonl_line(a, line))
        return
    if question is None:
        _interactive(_assistant(settings))
        return
    a = _assistant(settings)
    try:
        answer = a.ask(question)
    except InvalidQuestion as exc:
        if as_json:
            _print_json({"error": str(exc)})
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        _print_json(contract(answer))
    else:
        click.echo(answer.text)


def _jsonl_line(a, line: str) -> dict:
    from .assistant import InvalidQuestion

    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"not valid JSON: {exc.msg} (column {exc.colno})"}
    if not isinstance(item, dict):
        return {"id": None, "error": "each line must be a JSON object {\"id\", \"question\", \"history\"}"}
    id_ = item.get("id")
    try:
        answer = a.ask(item.get("question"), item.get("history") or [])
    except InvalidQuestion as exc:
        return {"id": id_, "error": str(exc)}
    except Exception as exc:  # one bad line must never stop the batch
        logging.getLogger(__name__).exception("failed on line id=%r", id_)
        return {"id": id_, "error": f"internal error: {exc}"}
    return contract(answer, id_, with_id=True)


def _interactive(a) -> None:
    from .assistant import InvalidQuestion

    click.echo("政策助手：请输入问题（空行或 Ctrl-D 退出）。 Ask about the notice; empty line to quit.")
    history: list[dict] = []
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = a.ask(question, history)
        except InvalidQuestion as exc:
            click.echo(f"error: {exc}")
            continue
        click.echo(answer.text + "\n")
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


@main.command()
@click.option("--rebuild", is_flag=True, help="rebuild even if the manifest says the index is fresh")
def index(rebuild: bool) -> None:
    """Build the Chroma index (idempotent: skipped when corpus and embedder are unchanged)."""
    t0 = time.perf_counter()
    a = _assistant(_settings(None), rebuild=rebuild)
    n = sum(len(x.clauses) for x in a.notices)
    state = "built" if a.built else "up to date"
    click.echo(f"index {state}: {len(a.notices)} notice(s), {n} clauses, embedder {a.store.model_id}, "
               f"{a.settings.index_dir} ({time.perf_counter() - t0:.2f} s)")


@main.command("eval")
@click.option("--set", "set_path", type=click.Path(path_type=Path), default=None, help="question set (JSONL)")
@click.option("--answers", type=click.Path(path_type=Path), default=None,
              help="score a JSONL of answers (CLI contract output, matched by id) instead of asking")
@click.option("--today", help="judge validity as of this date (YYYY-MM-DD)")
@click.option("--gate", is_flag=True, help="exit 1 if below the quality bar")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
def eval_(set_path: Path | None, answers: Path | None, today: str | None, gate: bool, as_json: bool) -> None:
    """Score the assistant (or another system's answers) on the labelled question set."""
    from .evaluation import load_items, meets_bar, run, score, summarise, table

    settings = _settings(today)
    items = load_items(set_path or settings.corpus_dir.parent / "evals" / "questions.jsonl")
    if answers:
        given = {}
        for line in answers.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                given[str(row.get("id"))] = row
        pairs = [(i, given.get(i.id, {"answer": "", "refused": False, "citations": []})) for i in items]
    else:
        a = _assistant(settings)
        pairs = run(items, lambda q, h: contract(a.ask(q, h)))
    summary = summarise([score(i, out) for i, out in pairs])
    ok, problems = meets_bar(summary)
    if as_json:
        _print_json({k: v for k, v in summary.items()})
    else:
        click.echo(table(summary))
        for f in summary["failures"]:
            click.echo(f"FAIL {f['id']} ({f['kind']}/{f['lang']}): expected {f['expected']} cited {f['cited']} "
                       f"top_ok={f['top_ok']} facts_ok={f['facts_ok']} refusal_ok={f['refusal_ok']} "
                       f"no_fabrication={f['no_fabrication']}")
        click.echo("quality bar: " + ("met" if ok else "NOT met: " + "; ".join(problems)))
    if gate and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
