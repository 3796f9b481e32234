"""policy-assistant: a thin command line over Assistant (ask / index / notices / eval / bench / serve)."""

from __future__ import annotations

import logging
import sys
import time
from datetime import date
from pathlib import Path

import click

from . import contract
from .errors import BuildError, CorpusError, InvalidQuestion, SettingsError
from .settings import ROOT, Settings


class BadSetting(click.ClickException):
    """A setting that cannot be used: one line naming it, exit status 2 (a usage error, as for options)."""

    exit_code = 2


def _settings(today: str | None) -> Settings:
    try:
        s = Settings.from_env()
    except SettingsError as exc:  # one line naming the variable, no traceback
        raise BadSetting(str(exc)) from None
    if not today:
        return s
    try:
        return s.with_(today=date.fromisoformat(today))
    except ValueError:
        raise click.BadParameter(f"{today!r} is not a date (YYYY-MM-DD)", param_hint="--today") from None


def _assistant(settings: Settings, rebuild: bool = False):
    from .assistant import Assistant

    try:
        return Assistant(settings, rebuild=rebuild)
    except (CorpusError, BuildError) as exc:
        raise click.ClickException(str(exc)) from None


def _print_json(obj: dict) -> None:
    """One JSON line on stdout, always UTF-8 (whatever the locale says)."""
    sys.stdout.flush()
    sys.stdout.buffer.write((contract.dumps(obj) + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()


@click.group()
@click.option("-v", "--verbose", count=True, help="log to stderr (-v info, -vv debug)")
def main(verbose: int) -> None:
    """Answer questions about the policy notices in the corpus, with verbatim quotes and clause citations."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(max(level, logging.WARNING))


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--jsonl", is_flag=True, help="read JSON lines {id, question, history} on stdin, write one per line")
@click.option("--today", help="judge validity as of this date (YYYY-MM-DD); default: today")
@click.option("--doc", default=None, help="answer from this notice only (its doc_id or 文号)")
def ask(question: str | None, as_json: bool, jsonl: bool, today: str | None, doc: str | None) -> None:
    """Answer QUESTION (or a batch of JSON lines with --jsonl, or an interactive session)."""
    settings = _settings(today)
    if jsonl:
        a = _assistant(settings)
        a.warm_up()  # load the embedder now, so the first line's latency_ms is an answer's, not a start-up's
        for raw in sys.stdin.buffer:  # bytes: a line that is not UTF-8 gets its own error, the batch goes on
            try:
                line = contract.decode_line(raw)
            except InvalidQuestion as exc:
                _print_json(contract.error_json(exc, None))
                continue
            if line.strip():
                _print_json(_jsonl_line(a, line))
        return
    if question is None:
        _interactive(_assistant(settings))
        return
    a = _assistant(settings)
    try:
        answer = a.ask(question, doc=doc)
    except InvalidQuestion as exc:
        if as_json:
            _print_json(contract.error_json(exc, with_id=False))
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        _print_json(contract.answer_json(answer))
    else:
        click.echo(answer.text)


def _jsonl_line(a, line: str) -> dict:
    try:
        req = contract.parse_line(line)
    except InvalidQuestion as exc:
        return contract.error_json(exc, None)
    try:
        answer = a.ask(req.question, req.history, doc=req.doc)
    except InvalidQuestion as exc:
        return contract.error_json(exc, req.id)
    except Exception as exc:  # one bad line must never stop the batch
        logging.getLogger(__name__).exception("failed on line id=%r", req.id)
        return contract.error_json(exc, req.id)
    return contract.answer_json(answer, req.id, with_id=True)


def _interactive(a) -> None:
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
@click.option("--check", is_flag=True, help="only read the corpus and report its problems; build nothing")
def index(rebuild: bool, check: bool) -> None:
    """Build the Chroma index (idempotent: only notices added, changed or removed are re-indexed)."""
    if check:
        from .corpus import inspect_corpus

        settings = _settings(None)
        try:
            notices, problems = inspect_corpus(settings.corpus_dir)
        except CorpusError as exc:
            raise click.ClickException(str(exc)) from None
        for p in problems:
            click.echo(f"warning: {p}")
        n = sum(len(x.clauses) for x in notices)
        click.echo(f"corpus {settings.corpus_dir}: {len(notices)} notice(s), {n} measures, {len(problems)} warning(s)")
        return
    t0 = time.perf_counter()
    a = _assistant(_settings(None), rebuild=rebuild)
    if a.store.read_only:
        raise click.ClickException(
            f"the index folder {a.settings.index_dir} is read-only: nothing was built "
            "(build where it can be written; a read-only index is served as built)"
        )
    n = sum(len(x.clauses) for x in a.notices)
    state = a.index_change.describe()
    click.echo(
        f"index {state}: {len(a.notices)} notice(s), {n} clauses, embedder {a.store.model_id}, "
        f"{a.settings.index_dir} ({time.perf_counter() - t0:.2f} s)"
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="one JSON object per notice")
@click.option("--today", help="judge validity as of this date (YYYY-MM-DD); default: today")
def notices(as_json: bool, today: str | None) -> None:
    """List the notices of the corpus: doc_id, 文号, title, issued, valid until, status, measures."""
    a = _assistant(_settings(today))
    for n in a.notices:
        row = {
            "doc_id": n.doc_id,
            "doc_number": n.doc_number,
            "title": n.title,
            "issued": n.issued.isoformat() if n.issued else None,
            "valid_until": n.valid_until.isoformat() if n.valid_until else None,
            "status": a.status(n),
            "measures": len(n.clauses),
            "parent": n.parent,
        }
        if as_json:
            _print_json(row)
        else:
            click.echo(
                f"{n.doc_id}\t{n.doc_number}\t《{n.title}》\t{row['issued'] or '-'}\t"
                f"{row['valid_until'] or '-'}\t{row['status']}\t{len(n.clauses)} 条"
            )


@main.command("eval")
@click.option(
    "--set",
    "set_path",
    type=click.Path(path_type=Path),
    default=None,
    help="question set (JSONL; default evals/questions.jsonl)",
)
@click.option(
    "--answers",
    type=click.Path(path_type=Path, allow_dash=True),
    default=None,
    help="score a JSONL of answers (the `ask --jsonl` output format, matched by id; - for stdin) "
    "instead of asking the assistant",
)
@click.option(
    "--drive",
    "drive_cmd",
    default=None,
    help='ask another command that speaks `ask --jsonl` (e.g. "policy-assistant ask --jsonl"), '
    "one round per conversation turn, and score its answers",
)
@click.option(
    "--requests",
    "emit_requests",
    is_flag=True,
    help="print the `ask --jsonl` input lines still to ask (given --answers so far) and exit",
)
@click.option("--compare", is_flag=True, help="also run the baselines (BM25-only, dense-only, textbook LangChain RAG)")
@click.option("--today", help="judge validity as of this date (YYYY-MM-DD)")
@click.option("--gate", is_flag=True, help="exit 1 if below the quality bar (writes no report unless --reports-dir)")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@click.option(
    "--reports-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="where to write <timestamp>.json/.md/.png (default evals/reports)",
)
@click.option("--no-report", is_flag=True, help="write no report files")
def eval_(
    set_path: Path | None,
    answers: Path | None,
    drive_cmd: str | None,
    emit_requests: bool,
    compare: bool,
    today: str | None,
    gate: bool,
    as_json: bool,
    reports_dir: Path | None,
    no_report: bool,
) -> None:
    """Score the assistant (or another system's answers) on the labelled question set."""
    import shlex

    from evals.datasets import SetError, load_items, read_answers, requests
    from evals.reports import compare_table, table, write_reports
    from evals.running import drive, eval_report

    settings = _settings(today)
    set_path = set_path or ROOT / "evals" / "questions.jsonl"
    try:
        items = load_items(set_path)
    except (OSError, SetError) as exc:
        raise click.ClickException(str(exc)) from exc
    given = None
    if answers is not None and not (emit_requests and str(answers) != "-" and not answers.exists()):
        with click.open_file(str(answers), encoding="utf-8") as fh:
            given = read_answers(fh)
    if emit_requests:
        for r in requests(items, given.rows if given else None):
            _print_json(r)
        return
    if answers is not None and drive_cmd:
        raise click.UsageError("use either --answers or --drive")

    if given is None and drive_cmd:
        given = drive(items, shlex.split(drive_cmd))
    if given is not None:
        for p in given.problems[:20]:
            click.echo(f"warning: {p}", err=True)
        if len(given.problems) > 20:
            click.echo(f"warning: … {len(given.problems) - 20} more problem line(s)", err=True)
    source = None if given is None else (f"drive: {drive_cmd}" if drive_cmd else str(answers))
    report = eval_report(
        settings,
        items,
        set_path,
        given=given,
        source=source,
        compare=compare,
        warn=lambda msg: click.echo(f"warning: {msg}", err=True),
    )
    summary, comparison, system = (
        report["summary"] | {"failures": report["failures"]},
        report["compare"],
        report["system"],
    )
    ok, problems = report["bar"]["met"], report["bar"]["problems"]
    paths = {}
    if not no_report and (reports_dir is not None or not gate):
        paths = write_reports(report, reports_dir or ROOT / "evals" / "reports")

    if as_json:
        _print_json(
            {
                "system": system,
                "bar": report["bar"],
                **report["summary"],
                "failures": report["failures"],
                "compare": comparison,
                "reports": {k: str(v) for k, v in paths.items()},
            }
        )
    else:
        click.echo(table(summary))
        if comparison:
            click.echo("\n" + compare_table({n: v["summary"] for n, v in comparison["systems"].items()}, system))
        for f in summary["failures"]:
            click.echo(
                f"FAIL {f['id']} ({f['kind']}/{f['lang']}): expected {f['expected']} cited {f['cited']} "
                f"top_ok={f['top_ok']} facts_ok={f['facts_ok']} refusal_ok={f['refusal_ok']} "
                f"no_fabrication={f['no_fabrication']}"
            )
        click.echo("quality bar: " + ("met" if ok else "NOT met: " + "; ".join(problems)))
        if paths:
            click.echo("report: " + ", ".join(str(p) for p in paths.values()))
    if gate and not ok:
        sys.exit(1)


@main.command()
@click.option(
    "--sizes",
    default="10,100,1000",
    show_default=True,
    help="synthetic corpus sizes (notices), comma-separated; empty for none",
)
@click.option("--runs", default=3, show_default=True, help="cold-start runs (median reported)")
@click.option("--repeats", default=3, show_default=True, help="timed passes over the questions per corpus")
@click.option("--set", "set_path", type=click.Path(path_type=Path), default=None, help="questions to time")
@click.option("--no-cold", is_flag=True, help="skip the cold-start runs")
@click.option("--no-profile", is_flag=True, help="skip the cProfile pass")
@click.option(
    "--embed-threads",
    type=click.IntRange(1, 64),
    default=None,
    help="experiment: BLAS threads of the query encoder in the timed workers (default: the core's)",
)
@click.option(
    "--reports-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="where to write bench-<timestamp>.json/.md/.png (default evals/reports)",
)
@click.option("--no-report", is_flag=True, help="write no report files")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def bench(
    sizes: str,
    runs: int,
    repeats: int,
    set_path: Path | None,
    no_cold: bool,
    no_profile: bool,
    embed_threads: int | None,
    reports_dir: Path | None,
    no_report: bool,
    as_json: bool,
) -> None:
    """Speed: cold start, index build, warm latency, memory; scaling on synthetic corpora."""
    from evals.bench import BenchOptions, table, write_reports
    from evals.bench import bench as run_bench

    try:
        size_list = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"--sizes must be integers separated by commas: {sizes!r}") from exc
    if any(n < 1 for n in size_list):
        raise click.BadParameter("--sizes must be ≥ 1")
    settings = _settings(None)
    opts = BenchOptions(
        sizes=size_list,
        runs=runs,
        repeats=repeats,
        cold=not no_cold,
        profile=not no_profile,
        embed_threads=embed_threads,
    )
    result = run_bench(
        settings, set_path or ROOT / "evals" / "questions.jsonl", opts, log=lambda msg: click.echo(msg, err=True)
    )
    paths = {} if no_report else write_reports(result, reports_dir or ROOT / "evals" / "reports")
    if as_json:
        _print_json({**result, "reports": {k: str(v) for k, v in paths.items()}})
    else:
        click.echo(table(result))
        if paths:
            click.echo("report: " + ", ".join(str(p) for p in paths.values()))


@main.command()
@click.option("--host", default=None, help="interface to bind (default: POLICY_HOST or 127.0.0.1)")
@click.option("--port", type=int, default=None, help="port (default: POLICY_PORT or 7860)")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="app processes (default: POLICY_SERVER_WORKERS or 1)"
)
@click.option("--no-ui", is_flag=True, help="serve the API only, without the web UI at /")
@click.option("--today", help="judge validity as of this date (YYYY-MM-DD); default: today")
def serve(host: str | None, port: int | None, workers: int | None, no_ui: bool, today: str | None) -> None:
    """Serve the HTTP API (/v1/…, docs at /docs) and the web UI (/) on HOST:PORT."""
    from . import api

    settings = _settings(today)
    api.serve(settings, host=host, port=port, workers=workers, ui=not no_ui)


if __name__ == "__main__":
    main()
