"""API benchmark: the served paths under concurrent load, and the index at larger corpus sizes.

    .venv/bin/python -m evals.bench_api [--out DIR] [--seconds 30] [--clients 16,64] [--scales 10,1000,10000]

1. Load. One `policy-assistant serve` subprocess on the seed corpus (corpus/), with its own index in a
   temporary directory and no rate limit. For each client count, a closed-loop load of that many simulated
   clients (asyncio + httpx, one AsyncClient each, a client sends its next question when its previous answer
   arrived) runs for `seconds` against each path in turn:
     ask     POST /v1/ask                      {"question": …} → the contract's answer JSON
     chat    POST /v1/chat/completions         the OpenAI protocol, not streamed
     gradio  the web UI's chat submit event    as a browser sends it: POST /gradio_api/queue/join with the
                                               event's fn_index, then the SSE stream /gradio_api/queue/data
                                               until process_completed (a fresh session each question, i.e.
                                               a fresh conversation, like /v1/ask without history)
   Questions: ~20 single-turn questions spread over evals/questions.jsonl (kinds and languages), each asked
   once on every path before timing (warm-up, and a check that an answer text comes back). Per path and
   client count: answers/s (answers ÷ wall time: no client starts a question after `seconds`, the ones in
   flight then are waited for and counted), p50/p95/p99/max latency of the answers (ms, request sent →
   answer received), errors (non-200, transport error or timeout, or a 200 without an answer text), CPU
   time per answer of the server and of the load generator, the share of the machine's CPUs that other
   processes used meanwhile, and the server's RSS. Server and load generator share the machine's cores, so
   absolute figures depend on it; the ratios between paths (/v1/ask ÷ gradio …) are measured in one run.
2. Scale. For each corpus size, synthetic notices from evals.bench.synthesize (the real notice plus
   variants) are built into a fresh index in a worker process of its own (`--scale-worker`), in-process with
   assistant.Assistant(settings, rebuild=True): build seconds, then query latency of Assistant.ask over ~50
   single-turn questions (one warm-up pass, then timed passes), and memory (VmHWM: peak RSS after the
   build and at the end, VmRSS at the end) of that process alone.

Writes out_dir/bench_api.json (every figure), bench_api.md (the load and scale tables) and bench_api.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from .bench import synthesize, write_corpus
from .datasets import ROOT, load_items
from .scoring import percentile

TODAY = "2026-12-01"
QUESTIONS = ROOT / "evals" / "questions.jsonl"
PATHS = ("ask", "chat", "gradio")
PATH_LABELS = {"ask": "/v1/ask", "chat": "/v1/chat", "gradio": "gradio queue"}
REQUEST_TIMEOUT_S = 120.0
READY_TIMEOUT_S = 300.0
Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- shared helpers -------------------------------------------------------------------------------
def pick_questions(n: int) -> list[str]:
    """n single-turn questions evenly spread over the set (it is grouped by kind, zh before en)."""
    single = [it.question for it in load_items(QUESTIONS) if not it.history_questions]
    n = min(n, len(single))
    return [single[k * len(single) // n] for k in range(n)]


def bench_env(index_dir: Path, feedback_log: Path) -> dict[str, str]:
    """The environment of the server and the scale workers: offline, no telemetry, no rate limit, fixed date."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "POLICY_INDEX_DIR": str(index_dir),
        "POLICY_FEEDBACK_LOG": str(feedback_log),
        "POLICY_TODAY": TODAY,
        "POLICY_SERVER_RATE_LIMIT": "0",
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONWARNINGS": "ignore",
    }


def _proc_status_mb(pid: int | str, field: str) -> float | None:
    """VmRSS / VmHWM of a process from /proc (MB), None when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (all its threads) from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _self_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _machine_busy_s() -> float | None:
    """CPU seconds the whole machine spent busy (all cores; /proc/stat, everything but idle and iowait)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _stats_ms(latencies_s: list[float]) -> dict[str, float | None]:
    ms = [x * 1000 for x in latencies_s]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else None,
    }


# --- the server -----------------------------------------------------------------------------------
@dataclass
class Server:
    proc: subprocess.Popen
    base_url: str
    log_path: Path
    ready_s: float  # launch → /readyz answers 200 (the index of the seed corpus built from scratch)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path) -> Server:
    """`policy-assistant serve` on a free loopback port with its own index in tmp; returns once /readyz is 200."""
    port = _free_port()
    log_path = tmp / "server.log"
    env = bench_env(tmp / "server-index", tmp / "feedback.jsonl")
    cmd = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    t0 = time.perf_counter()
    with log_path.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log_path, 0.0)
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(base_url=server.base_url, timeout=5, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}: {_log_tail(log_path)}")
            try:
                if client.get("/readyz").status_code == 200:
                    server.ready_s = time.perf_counter() - t0
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    stop_server(server)
    raise TimeoutError(f"the server was not ready after {READY_TIMEOUT_S:.0f} s: {_log_tail(log_path)}")


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)


def _log_tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:].strip()
    except OSError:
        return ""


def server_log_problems(path: Path, limit: int = 20) -> dict:
    """Lines of the server log that report a problem (ERROR, WARNING, Traceback …): count and the first few."""
    text = _log_tail(path, 10**8)
    bad = [ln for ln in text.splitlines() if any(w in ln for w in ("ERROR", "Traceback", "Exception", "WARNING"))]
    return {"count": len(bad), "first": bad[:limit]}


# --- the three paths --------------------------------------------------------------------------------
class NoAnswer(Exception):
    """A response that is not an answer (the message says why: HTTP status, missing text …)."""


@dataclass(frozen=True)
class GradioEvent:
    """The web UI's chat submit event, as the page config describes it."""

    api_prefix: str  # "/gradio_api"
    fn_index: int
    trigger_id: int  # the send button (a click), as a browser would send it
    inputs: tuple[int, ...]  # component ids; the question textbox gets the text, the states None
    question_id: int
    chatbot_pos: int  # position of the chatbot among the event's outputs


def find_chat_event(config: dict) -> GradioEvent:
    """From GET /config: the dependency triggered by the question box's submit whose inputs include it."""
    by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
    question, send, chatbot = by_elem.get("question"), by_elem.get("send"), by_elem.get("chat")
    for i, dep in enumerate(config["dependencies"]):
        targets = [tuple(t) for t in dep.get("targets", [])]
        if (question, "submit") in targets and question in dep["inputs"] and chatbot in dep["outputs"]:
            trigger = send if (send, "click") in targets else question
            return GradioEvent(
                api_prefix=config.get("api_prefix", "/gradio_api"),
                fn_index=dep.get("id", i),
                trigger_id=trigger,
                inputs=tuple(dep["inputs"]),
                question_id=question,
                chatbot_pos=dep["outputs"].index(chatbot),
            )
    raise RuntimeError("the page config has no chat submit event (question box → chatbot)")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


async def call_ask(client: httpx.AsyncClient, question: str) -> str:
    r = await client.post("/v1/ask", json={"question": question})
    if r.status_code != 200:
        raise NoAnswer(f"HTTP {r.status_code}")
    text = r.json().get("answer")
    if not isinstance(text, str) or not text.strip():
        raise NoAnswer("no answer text")
    return text


async def call_chat(client: httpx.AsyncClient, question: str) -> str:
    body = {"model": "policy-assistant", "messages": [{"role": "user", "content": question}]}
    r = await client.post("/v1/chat/completions", json=body)
    if r.status_code != 200:
        raise NoAnswer(f"HTTP {r.status_code}")
    choices = r.json().get("choices") or [{}]
    text = (choices[0].get("message") or {}).get("content")
    if not isinstance(text, str) or not text.strip():
        raise NoAnswer("no answer text")
    return text


async def call_gradio(client: httpx.AsyncClient, question: str, event: GradioEvent) -> str:
    """Join the queue with the chat event in a fresh session, read its SSE stream to process_completed, and
    return the assistant's last chat message (the answer the page shows)."""
    session = uuid.uuid4().hex[:11]
    data = [question if c == event.question_id else None for c in event.inputs]  # states live on the server
    join = {
        "data": data,
        "event_data": None,
        "fn_index": event.fn_index,
        "trigger_id": event.trigger_id,
        "session_hash": session,
    }
    r = await client.post(f"{event.api_prefix}/queue/join", json=join)
    if r.status_code != 200:
        raise NoAnswer(f"join HTTP {r.status_code}")
    async with client.stream("GET", f"{event.api_prefix}/queue/data", params={"session_hash": session}) as s:
        if s.status_code != 200:
            raise NoAnswer(f"stream HTTP {s.status_code}")
        async for line in s.aiter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            kind = msg.get("msg")
            if kind == "process_completed":
                if not msg.get("success"):
                    raise NoAnswer("event failed")
                messages = (msg.get("output") or {}).get("data", [None] * (event.chatbot_pos + 1))[event.chatbot_pos]
                if not isinstance(messages, list) or len(messages) < 2 or messages[-1].get("role") != "assistant":
                    raise NoAnswer("no answer in the chat")  # the handler failed: the chat was left as it was
                text = _text_of(messages[-1].get("content"))
                if not text.strip():
                    raise NoAnswer("empty answer")
                return text
            if kind in ("unexpected_error", "close_stream"):
                raise NoAnswer(kind)
    raise NoAnswer("stream ended without process_completed")


Call = Callable[[httpx.AsyncClient, str], Awaitable[str]]


# --- the load generator -------------------------------------------------------------------------------
@dataclass
class Sample:
    start: float  # perf_counter when the request was sent
    latency_s: float
    error: str | None  # None = an answer


async def _client_loop(call: Call, base_url: str, questions: list[str], first: int, deadline: float) -> list[Sample]:
    """One simulated client: question after question until the deadline (the last one may finish after it)."""
    samples: list[Sample] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False) as client:
        i = first
        while time.perf_counter() < deadline:
            question = questions[i % len(questions)]
            i += 1
            t0 = time.perf_counter()
            error: str | None = None
            try:
                await call(client, question)
            except NoAnswer as exc:
                error = str(exc)
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            except (ValueError, KeyError, TypeError, AttributeError) as exc:  # an unreadable body
                error = f"bad body ({type(exc).__name__})"
            samples.append(Sample(t0, time.perf_counter() - t0, error))
    return samples


async def _load(call: Call, base_url: str, questions: list[str], clients: int, seconds: float) -> list[Sample]:
    start = time.perf_counter()
    deadline = start + seconds
    step = max(1, len(questions) // max(1, clients))  # clients start at different questions
    loops = [_client_loop(call, base_url, questions, k * step, deadline) for k in range(clients)]
    return [s for samples in await asyncio.gather(*loops) for s in samples]


def run_load(call: Call, server: Server, questions: list[str], clients: int, seconds: float) -> dict:
    """One closed-loop load of `clients` clients for `seconds`; the figures of that path and client count."""
    pid = server.proc.pid
    cpu0, self0, busy0, t0 = _proc_cpu_s(pid), _self_cpu_s(), _machine_busy_s(), time.perf_counter()
    samples = asyncio.run(_load(call, server.base_url, questions, clients, seconds))
    wall = time.perf_counter() - t0
    cpu1, self1, busy1 = _proc_cpu_s(pid), _self_cpu_s(), _machine_busy_s()
    deadline = t0 + seconds
    ok = [s for s in samples if s.error is None]
    in_window = [s for s in ok if s.start + s.latency_s <= deadline]
    errors: dict[str, int] = {}
    for s in samples:
        if s.error is not None:
            errors[s.error] = errors.get(s.error, 0) + 1
    server_cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    loadgen_cpu = self1 - self0
    other = None  # CPU the rest of the machine used meanwhile (other processes), as a share of its capacity
    if busy0 is not None and busy1 is not None and server_cpu is not None:
        other = max(0.0, busy1 - busy0 - server_cpu - loadgen_cpu) / (wall * (os.cpu_count() or 1))
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": len(samples),
        "answers": len(ok),
        "answers_in_window": len(in_window),
        "answers_per_s": len(ok) / wall,
        "answers_per_s_in_window": len(in_window) / seconds,
        **_stats_ms([s.latency_s for s in ok]),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "drain_s": max(0.0, wall - seconds),  # the requests in flight at the deadline, waited for
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_answer": server_cpu * 1000 / len(ok) if server_cpu is not None and ok else None,
        "loadgen_cpu_s": loadgen_cpu,
        "loadgen_cpu_ms_per_answer": loadgen_cpu * 1000 / len(ok) if ok else None,
        "other_cpu_share": other,
        "server_rss_mb": _proc_status_mb(pid, "VmRSS"),
    }


def _warm_and_check(calls: dict[str, Call], server: Server, questions: list[str]) -> dict[str, str]:
    """Ask every question once on every path before timing (lazy loads), checking that each returns an
    answer text; returns the start of each path's first answer."""

    async def go() -> dict[str, str]:
        seen: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False) as c:
            for name, call in calls.items():
                for q in questions:
                    text = await call(c, q)  # raises NoAnswer if a path does not answer
                    seen.setdefault(name, text)
        return seen

    return {name: text[:200] for name, text in asyncio.run(go()).items()}


def bench_load(tmp: Path, seconds: float, clients: Sequence[int], questions: list[str], log: Log) -> dict:
    """Start one server and load each path at each client count in turn (client count outer, path inner)."""
    log("load: starting the server on the seed corpus (fresh index) …")
    server = start_server(tmp)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30, trust_env=False) as c:
            event = find_chat_event(c.get("/config").json())
            ready = c.get("/readyz").json()
        calls: dict[str, Call] = {
            "ask": call_ask,
            "chat": call_chat,
            "gradio": lambda client, q: call_gradio(client, q, event),
        }
        samples = _warm_and_check(calls, server, questions)
        log(f"load: server ready in {server.ready_s:.1f} s; every path answers; chat event fn_index {event.fn_index}")
        rows = []
        for n in clients:
            for name in PATHS:
                log(f"load: {n} clients × {PATH_LABELS[name]} for {seconds:g} s …")
                row = {"path": name, **run_load(calls[name], server, questions, n, seconds)}
                rows.append(row)
                log(f"  {row['answers_per_s']:.1f} answers/s, p95 {row['p95_ms'] or 0:.0f} ms, {row['errors']} errors")
                if server.proc.poll() is not None:
                    raise RuntimeError(f"the server exited under load: {_log_tail(server.log_path)}")
        return {
            "server_ready_s": server.ready_s,
            "index_version": ready.get("index_version"),
            "notices": ready.get("notices"),
            "questions": questions,
            "gradio_event": {
                "fn_index": event.fn_index,
                "trigger_id": event.trigger_id,
                "inputs": list(event.inputs),
                "api_prefix": event.api_prefix,
            },
            "sample_answers": samples,
            "rows": rows,
            "ratios": ratios(rows),
            "server_peak_rss_mb": _proc_status_mb(server.proc.pid, "VmHWM"),
            "server_log": server_log_problems(server.log_path),
        }
    finally:
        stop_server(server)


def ratios(rows: list[dict]) -> dict[str, dict[str, float | None]]:
    """Per client count: throughput of one path ÷ another's, and gradio's p95 ÷ /v1/ask's."""
    out: dict[str, dict[str, float | None]] = {}
    for n in sorted({r["clients"] for r in rows}):
        got = {r["path"]: r for r in rows if r["clients"] == n}

        def div(a: float | None, b: float | None) -> float | None:
            return a / b if a is not None and b else None

        tput = {k: got[k]["answers_per_s"] if k in got else None for k in PATHS}
        p95 = {k: got[k]["p95_ms"] if k in got else None for k in PATHS}
        out[str(n)] = {
            "ask_over_gradio": div(tput["ask"], tput["gradio"]),
            "chat_over_gradio": div(tput["chat"], tput["gradio"]),
            "ask_over_chat": div(tput["ask"], tput["chat"]),
            "gradio_p95_over_ask_p95": div(p95["gradio"], p95["ask"]),
        }
    return out


# --- scale: one worker process per corpus size --------------------------------------------------------
def scale_worker(corpus_dir: Path, index_dir: Path, questions: list[str], repeats: int) -> dict:
    """Build a fresh index of corpus_dir in-process (this process is the corpus's alone), then time warm
    answers. Run as `python -m evals.bench_api --scale-worker SPEC`."""
    from assistant import Assistant, Settings

    from .running import quiet_bm25s

    quiet_bm25s()
    settings = Settings.from_env().with_(corpus_dir=corpus_dir, index_dir=index_dir, today=date.fromisoformat(TODAY))
    t0 = time.perf_counter()
    a = Assistant(settings, rebuild=True)
    startup = time.perf_counter() - t0
    build_hwm = _proc_status_mb("self", "VmHWM")
    t1 = time.perf_counter()
    for q in questions:  # warm-up: the embedder, jieba, caches
        a.ask(q)
    warm_up = time.perf_counter() - t1
    latencies: list[float] = []
    per_question: dict[str, float] = {}  # the slowest time of each question
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            a.ask(q)
            latencies.append(time.perf_counter() - t)
            per_question[q] = max(per_question.get(q, 0.0), latencies[-1])
    slowest = sorted(per_question.items(), key=lambda kv: kv[1], reverse=True)[:5]
    return {
        "notices": len(a.notices),
        "clauses": sum(len(n.clauses) for n in a.notices),
        "documents": a.store.collection.count(),
        "build_seconds": a.store.build_seconds,
        "startup_seconds": startup,
        "warm_up_pass_s": warm_up,
        "asks_timed": len(latencies),
        **_stats_ms(latencies),
        "slowest": [{"ms": sec * 1000, "question": q} for q, sec in slowest],
        "build_peak_rss_mb": build_hwm,
        "peak_rss_mb": _proc_status_mb("self", "VmHWM"),
        "rss_end_mb": _proc_status_mb("self", "VmRSS"),
    }


def run_scale_worker(spec: dict, env: dict[str, str]) -> dict:
    cmd = [sys.executable, "-m", "evals.bench_api", "--scale-worker", json.dumps(spec, ensure_ascii=False)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"scale worker failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "process_seconds": time.perf_counter() - t0}


def bench_scale(tmp: Path, scales: Sequence[int], questions: list[str], repeats: int, log: Log) -> list[dict]:
    real_file = min((ROOT / "corpus").glob("*.txt"))
    raw = real_file.read_text(encoding="utf-8")
    rows = []
    for size in scales:
        log(f"scale: {size} notices: generate, build a fresh index, time {len(questions)} questions × {repeats} …")
        folder = write_corpus(synthesize(raw, size, 0, real_file.stem), tmp / f"corpus-{size}")
        spec = {
            "corpus_dir": str(folder),
            "index_dir": str(tmp / f"index-{size}"),
            "questions": questions,
            "repeats": repeats,
        }
        row = {"size": size, **run_scale_worker(spec, bench_env(tmp / f"index-{size}", tmp / "feedback.jsonl"))}
        rows.append(row)
        log(f"  build {row['build_seconds']:.1f} s, p95 {row['p95_ms']:.1f} ms, peak RSS {row['peak_rss_mb']:.0f} MB")
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(tmp / f"index-{size}", ignore_errors=True)
    return rows


# --- the whole benchmark ---------------------------------------------------------------------------------
def run(
    out_dir: Path,
    seconds: float = 30,
    clients: Sequence[int] = (16, 64),
    scales: Sequence[int] = (10, 1000, 10000),
    *,
    load_questions: int = 20,
    scale_questions: int = 50,
    repeats: int = 2,
    log: Log = _stderr,
) -> dict:
    """Run the load part (skipped when `clients` is empty) and the scale part (skipped when `scales` is
    empty), write out_dir/bench_api.{json,md,png} and return every figure (with the files under "files")."""
    import gradio

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "kind": "bench_api",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "gradio": gradio.__version__,
        "httpx": httpx.__version__,
        "today": TODAY,
        "loadavg_start": os.getloadavg(),
    }
    tmp = Path(tempfile.mkdtemp(prefix="policy-bench-api-"))
    try:
        if clients:
            result["load"] = bench_load(tmp, seconds, list(clients), pick_questions(load_questions), log)
        if scales:
            result["scale"] = {
                "questions": scale_questions,
                "repeats": repeats,
                "rows": bench_scale(tmp, list(scales), pick_questions(scale_questions), repeats, log),
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg_end"] = os.getloadavg()
    result["files"] = {k: str(v) for k, v in write_reports(result, out_dir).items()}
    return result


# --- output -------------------------------------------------------------------------------------------
def _f(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _rows(head: list[str], rows: list[list[str]], width: int = 11) -> list[str]:
    return ["".join(h.rjust(width) for h in head), *("".join(v.rjust(width) for v in r) for r in rows)]


def load_table(load: dict) -> str:
    head = ["clients", "path", "answers", "answers/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"]
    head += ["srv ms/ans", "gen ms/ans", "other CPU", "srv RSS MB"]
    body = [
        [
            str(r["clients"]),
            r["path"],
            str(r["answers"]),
            _f(r["answers_per_s"]),
            _f(r["p50_ms"], 0),
            _f(r["p95_ms"], 0),
            _f(r["p99_ms"], 0),
            _f(r["max_ms"], 0),
            str(r["errors"]),
            _f(r["server_cpu_ms_per_answer"]),
            _f(r["loadgen_cpu_ms_per_answer"]),
            "-" if r.get("other_cpu_share") is None else f"{r['other_cpu_share']:.0%}",
            _f(r["server_rss_mb"], 0),
        ]
        for r in load["rows"]
    ]
    out = _rows(head, body)
    out.append(
        "  ask = POST /v1/ask, chat = POST /v1/chat/completions (not streamed), gradio = the UI's chat event "
        "through /gradio_api/queue/join + queue/data (SSE)"
    )
    out.append(
        "  srv / gen ms/ans = CPU time per answer of the server / of the load generator; other CPU = share of "
        "the machine's CPUs used by other processes during the window"
    )
    for n, r in load["ratios"].items():
        out.append(
            f"  {n} clients: throughput /v1/ask ÷ gradio {_f(r['ask_over_gradio'], 2)}, /v1/chat ÷ gradio "
            f"{_f(r['chat_over_gradio'], 2)}, /v1/ask ÷ /v1/chat {_f(r['ask_over_chat'], 2)}; "
            f"p95 gradio ÷ /v1/ask {_f(r['gradio_p95_over_ask_p95'], 2)}"
        )
    for r in load["rows"]:
        if r["error_kinds"]:
            kinds = ", ".join(f"{k} × {v}" for k, v in r["error_kinds"].items())
            out.append(f"  errors, {r['clients']} clients {r['path']}: {kinds}")
    log = load["server_log"]
    out.append(
        f"  server: ready in {load['server_ready_s']:.1f} s (fresh index), peak RSS "
        f"{_f(load['server_peak_rss_mb'], 0)} MB, {log['count']} problem line(s) in its log"
    )
    return "\n".join(out)


def scale_table(scale: dict) -> str:
    head = ["notices", "clauses", "docs", "build s", "startup s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    head += ["build MB", "peak MB", "end MB"]
    body = [
        [
            str(r["size"]),
            str(r["clauses"]),
            str(r["documents"]),
            _f(r["build_seconds"]),
            _f(r["startup_seconds"]),
            _f(r["p50_ms"], 2),
            _f(r["p95_ms"], 2),
            _f(r["p99_ms"], 2),
            _f(r["max_ms"], 1),
            _f(r["build_peak_rss_mb"], 0),
            _f(r["peak_rss_mb"], 0),
            _f(r["rss_end_mb"], 0),
        ]
        for r in scale["rows"]
    ]
    out = _rows(head, body)
    out.append(
        f"  Assistant.ask over {scale['questions']} questions × {scale['repeats']} passes after one warm-up pass; "
        "build MB = peak RSS at the end of the build, peak MB = at the end, end MB = RSS at the end "
        "(one process per corpus size)"
    )
    return "\n".join(out)


def table(result: dict) -> str:
    """The console summary: both tables and the conditions they were measured in."""
    out = []
    if "load" in result:
        ld = result["load"]
        secs = ld["rows"][0]["seconds"] if ld["rows"] else 0
        out += [f"load: {len(ld['questions'])} questions, {secs:g} s per path and client count", load_table(ld), ""]
    if "scale" in result:
        out += ["scale: synthetic corpora, fresh index each", scale_table(result["scale"]), ""]
    out.append(
        "load average (1/5/15 min) at start {:.2f}/{:.2f}/{:.2f}, at end {:.2f}/{:.2f}/{:.2f} on {} CPUs "
        "(server and load generator share them)".format(
            *result["loadavg_start"], *result["loadavg_end"], result["cpus"]
        )
    )
    return "\n".join(out)


def markdown(result: dict) -> str:
    lines = [
        f"# API benchmark — {result['created']}",
        "",
        (
            f"{result['cpus']} CPUs shared by the server and the load generator, Python {result['python']}, "
            f"Gradio {result['gradio']}, httpx {result['httpx']}; POLICY_TODAY={result['today']}, no rate limit. "
            "Closed-loop clients (each sends its next question when its answer arrived); answers/s = answers ÷ "
            "wall time (no question is started after the window; those in flight then are waited for); latencies "
            "are request sent → answer received. Absolute figures depend on the machine and what else runs on it "
            "(column other CPU); the ratios between paths are measured in the same run."
        ),
        "",
    ]
    if "load" in result:
        lines += ["## Load — one server on the seed corpus", "", "```", load_table(result["load"]), "```", ""]
        lines += ["Questions:", "", *(f"- {q}" for q in result["load"]["questions"]), ""]
        problems = result["load"]["server_log"]["first"]
        if problems:
            lines += ["Server log, problem lines (first few):", "", "```", *problems, "```", ""]
    if "scale" in result:
        lines += ["## Scale — synthetic corpora, fresh index, in-process", "", "```", scale_table(result["scale"])]
        lines += ["```", ""]
        for r in result["scale"]["rows"]:
            lines += [f"Slowest questions at {r['size']} notices:", ""]
            lines += [f"- {s['ms']:.1f} ms: {s['question']}" for s in r.get("slowest", [])] + [""]
    return "\n".join(lines) + "\n"


def figure(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    load_rows = result.get("load", {}).get("rows", [])
    scale_rows = result.get("scale", {}).get("rows", [])
    panels = 2 + bool(scale_rows)
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.2))
    counts = sorted({r["clients"] for r in load_rows})
    width = 0.8 / len(PATHS)
    for ax, key, ylabel, title in (
        (axes[0], "answers_per_s", "answers/s", "throughput per path"),
        (axes[1], "p95_ms", "ms", "p95 latency per path"),
    ):
        for j, name in enumerate(PATHS):
            got = {r["clients"]: r[key] for r in load_rows if r["path"] == name}
            xs = [i + (j - (len(PATHS) - 1) / 2) * width for i in range(len(counts))]
            ax.bar(xs, [got.get(n) or 0 for n in counts], width, label=PATH_LABELS[name])
        ax.set_xticks(range(len(counts)), [f"{n} clients" for n in counts])
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, axis="y", lw=0.3)
        ax.legend(fontsize=8)
    if scale_rows:
        ax = axes[2]
        xs = [r["size"] for r in scale_rows]
        ax.loglog(xs, [r["build_seconds"] for r in scale_rows], "o-", label="index build (s)")
        ax.loglog(xs, [r["p95_ms"] for r in scale_rows], "s-", label="query p95 (ms)")
        ax.loglog(xs, [r["peak_rss_mb"] for r in scale_rows], "^--", label="peak RSS (MB)")
        ax.set_xlabel("notices")
        ax.set_title("scale (fresh index, in-process)")
        ax.grid(True, which="both", lw=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(result: dict, out_dir: Path) -> dict[str, Path]:
    paths = {k: out_dir / f"bench_api.{k}" for k in ("json", "md", "png")}
    figure(result, paths["png"])
    paths["md"].write_text(markdown(result) + f"\n![bench_api]({paths['png'].name})\n", encoding="utf-8")
    paths["json"].write_text(
        json.dumps({**result, "files": {k: str(v) for k, v in paths.items()}}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    return paths


# --- command line -----------------------------------------------------------------------------------------
def int_list(text: str) -> list[int]:
    """'16,64' → [16, 64]; '' → [] (that part skipped)."""
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"integers separated by commas, not {text!r}") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"values must be ≥ 1: {text!r}")
    return values


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench_api", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=None, help="report folder (default evals/reports/bench-api-<time>)")
    p.add_argument("--seconds", type=float, default=30.0, help="load window per path and client count")
    p.add_argument("--clients", type=int_list, default=[16, 64], help="client counts, e.g. 16,64; '' skips the load")
    p.add_argument("--scales", type=int_list, default=[10, 1000, 10000], help="corpus sizes; '' skips the scale part")
    p.add_argument("--repeats", type=int, default=2, help="timed passes over the questions per corpus size")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the tables")
    p.add_argument("--scale-worker", metavar="SPEC", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.scale_worker:
        spec = json.loads(args.scale_worker)
        res = scale_worker(Path(spec["corpus_dir"]), Path(spec["index_dir"]), spec["questions"], spec["repeats"])
        sys.stdout.write(json.dumps(res) + "\n")
        return 0
    out = args.out or ROOT / "evals" / "reports" / time.strftime("bench-api-%Y%m%d-%H%M%S")
    result = run(out, args.seconds, args.clients, args.scales, repeats=args.repeats)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    if not args.json:
        print("report: " + ", ".join(result["files"].values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
