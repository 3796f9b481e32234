"""Reindex without downtime, and scale-out on one Chroma server.

A build writes a new index version beside the one being served and switches the pointer once it is
complete; servers notice the switch and answer from the new version without a restart. Every test here
runs real processes: `policy-assistant serve` (API only), `policy-assistant index`, `chroma run`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant import Settings
from assistant.store import Store

from .helpers import SEED, VENV_BIN, Server, made_up

pytestmark = pytest.mark.slow

TEA = made_up(
    "某政发〔2024〕7号",
    "茶叶产业",
    [
        "支持茶园标准化建设。对新建标准化茶园给予每亩800元补助。（责任单位：市农业农村局）",
        "支持茶叶品牌推广。对获得国家级茶叶品牌认定的企业给予一次性奖励5万元。（责任单位：市市场监管局）",
    ],
)
TEA_QUESTION = "新建标准化茶园每亩补助多少？"
SEED_QUESTION = "企业扩产缺资金，政府的产业基金能不能投？"


def cites(answer: dict) -> list[tuple[str, int]]:
    return [(c["doc_number"], c["clause"]) for c in answer.get("citations", [])]


class Load:
    """Clients asking a topical question in a loop until stopped; every failed answer is recorded."""

    def __init__(self, *urls: str, clients_per_url: int = 2):
        self.answers = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(u,), daemon=True) for u in urls for _ in range(clients_per_url)
        ]
        for t in self._threads:
            t.start()

    def _run(self, url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    r = client.post("/v1/ask", json={"question": SEED_QUESTION})
                    body = r.json()
                    if r.status_code != 200 or body.get("refused") or ("市政办发〔2023〕31号", 9) not in cites(body):
                        self.failures.append(f"{r.status_code}: {str(body)[:200]}")
                    else:
                        self.answers += 1
                except Exception as exc:  # a refused connection or a timeout is a failure too
                    self.failures.append(f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)


def ask(url: str, question: str) -> dict:
    return httpx.post(url + "/v1/ask", json={"question": question}, timeout=30).json()


def wait_for(predicate, timeout: float = 60.0, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")


def index_cli(server: Server, *args: str) -> subprocess.CompletedProcess:
    """`policy-assistant index` with the server's settings, as another process."""
    return subprocess.run(
        [str(VENV_BIN / "policy-assistant"), "index", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


FOLLOW = {"server_poll_seconds": "0.5", "server_rate_limit": "0"}  # notice a new version quickly; no limit


@pytest.fixture()
def corpus(tmp_path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(SEED, d / SEED.name)
    return d


def test_rebuilds_and_new_notices_under_load_fail_no_answer(tmp_path, corpus):
    server = Server(tmp_path, tmp_path / "index", "--no-ui", corpus_dir=str(corpus), **FOLLOW)
    try:
        first = server.ready()["index_version"]
        load = Load(server.url, clients_per_url=1)
        try:
            done = index_cli(server, "--rebuild")  # the CLI rebuilds from scratch while the server answers
            assert done.returncode == 0, done.stderr
            (corpus / "tea-2024.txt").write_text(TEA, encoding="utf-8")
            done = index_cli(server)
            assert done.returncode == 0, done.stderr
            assert "added" in done.stdout and "tea-2024" in done.stdout
            # the server serves the new notice without a restart
            wait_for(lambda: ("某政发〔2024〕7号", 1) in cites(ask(server.url, TEA_QUESTION)), timeout=60)
        finally:
            load.stop()
        assert load.failures == []
        assert load.answers > 20
        ready = server.ready()
        assert ready["index_version"] != first and ready["notices"] == 2 and ready["reloads"] >= 1
    finally:
        server.stop()


def _versions(index_dir: Path) -> tuple[list[str], str | None]:
    """(every version collection, the one the pointer names) of a local index, read as another process."""
    store = Store(Settings().with_(index_dir=index_dir), None, "")  # type: ignore[arg-type]  # no embedding here
    return store._versions(store.client()), store.current_version()


def test_a_build_killed_midway_leaves_the_previous_version_serving(tmp_path, corpus):
    from evals.bench import synthesize, write_corpus

    index = tmp_path / "index"
    server = Server(tmp_path, index, "--no-ui", corpus_dir=str(corpus), **FOLLOW)
    try:
        before = server.ready()["index_version"]
        # enough notices that the build takes seconds; killed once its new version has begun to fill
        write_corpus(synthesize(SEED.read_text(encoding="utf-8"), 150, doc_id="many")[1:], corpus)
        build = subprocess.Popen(
            [str(VENV_BIN / "policy-assistant"), "index"],
            env=server.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: len(_versions(index)[0]) > 1, timeout=120, every=0.1)
        time.sleep(0.5)
        assert build.poll() is None, "the build finished before it could be killed: make the corpus larger"
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        versions, current = _versions(index)
        assert current == before and len(versions) == 2  # the half-built version is there but not served
        abandoned = max(versions)
        for _ in range(5):
            assert ("市政办发〔2023〕31号", 9) in cites(ask(server.url, SEED_QUESTION))
        time.sleep(1.5)  # a poll or two later, the server still serves the complete version
        assert server.ready()["index_version"] == before
        # the next build completes, is served, and drops the abandoned half
        done = index_cli(server)
        assert done.returncode == 0, done.stderr
        versions, current = _versions(index)
        assert current != before and versions == [before, current]  # the one served before is kept
        assert abandoned not in versions
        wait_for(lambda: server.ready()["index_version"] == current, timeout=120)
        assert server.ready()["notices"] == 150
    finally:
        server.stop()


def test_two_app_processes_share_one_chroma_server_and_follow_a_reindex(tmp_path, corpus, chroma_server):
    shared = {"corpus_dir": str(corpus), "chroma_host": "127.0.0.1", "chroma_port": str(chroma_server), **FOLLOW}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = Server(tmp_path / "one", tmp_path / "one" / "index", "--no-ui", **shared)
    two = None
    try:
        two = Server(tmp_path / "two", tmp_path / "two" / "index", "--no-ui", **shared)
        v1 = one.ready()["index_version"]
        assert two.ready()["index_version"] == v1  # the second opened the first one's build
        assert not (tmp_path / "one" / "index" / "chroma").exists()  # nothing went to a local store
        load = Load(one.url, two.url, clients_per_url=1)
        try:
            (corpus / "tea-2024.txt").write_text(TEA, encoding="utf-8")
            r = httpx.post(one.url + "/v1/index", json={}, timeout=120)
            assert r.status_code == 200, r.text
            v2 = r.json()["index_version"]
            assert v2 != v1 and r.json()["added"] == ["tea-2024"]
            for server in (one, two):
                wait_for(lambda s=server: s.ready()["index_version"] == v2, timeout=60)
                assert ("某政发〔2024〕7号", 1) in cites(ask(server.url, TEA_QUESTION))
        finally:
            load.stop()
        assert load.failures == [] and load.answers > 10
    finally:
        one.stop()
        if two is not None:
            two.stop()


# --- an index on a read-only filesystem -----------------------------------------------------------
@pytest.fixture()
def read_only_index(tmp_path):
    """A built index, then the same folder seen read-only: a read-only bind mount where this process
    may mount (root in a container), else a folder without write permission (any other user)."""
    built = tmp_path / "built"
    env = {**os.environ, "POLICY_INDEX_DIR": str(built), "POLICY_CORPUS_DIR": str(SEED.parent)}
    subprocess.run([str(VENV_BIN / "policy-assistant"), "index"], env=env, check=True, capture_output=True)
    view = tmp_path / "ro"
    view.mkdir()
    mounted = (
        subprocess.run(["mount", "--bind", str(built), str(view)], capture_output=True).returncode == 0
        and subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], capture_output=True).returncode == 0
    )
    if not mounted:
        subprocess.run(["umount", str(view)], capture_output=True)
        if os.geteuid() == 0:
            pytest.skip("root without mount: no way to make a folder read-only here")
        view.rmdir()
        view = built
        for d in [view, *[p for p in view.rglob("*") if p.is_dir()]]:
            d.chmod(0o555)
    assert not os.access(view, os.W_OK)
    yield view
    if mounted:
        subprocess.run(["umount", str(view)], check=True)
    else:
        for d in [view, *[p for p in view.rglob("*") if p.is_dir()]]:
            d.chmod(0o755)


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_an_index_on_a_read_only_filesystem_is_served_as_built(tmp_path, read_only_index):
    before = _tree(read_only_index)
    server = Server(tmp_path, read_only_index, "--no-ui", corpus_dir=str(SEED.parent))
    try:
        with server.http() as http:
            answer = http.post("/v1/ask", json={"question": SEED_QUESTION}).json()
            assert cites(answer)[0] == ("市政办发〔2023〕31号", 9), answer
            refused = http.post("/v1/index", json={"rebuild": True})
            assert refused.status_code == 409 and refused.json()["code"] == "read_only"
            assert "read-only" in refused.json()["error"]
            assert http.post("/v1/ask", json={"question": SEED_QUESTION}).status_code == 200  # still serving
    finally:
        server.stop()
    assert "read-only; serving a private copy" in server.output()
    assert _tree(read_only_index) == before  # nothing written, nothing moved aside

    env = {**server.env, "POLICY_INDEX_DIR": str(read_only_index)}
    cli = [str(VENV_BIN / "policy-assistant")]
    build = subprocess.run([*cli, "index"], env=env, capture_output=True, text=True)
    assert build.returncode == 1 and "read-only: nothing was built" in build.stderr
    empty = subprocess.run(
        [*cli, "ask", "用地"],
        env={**env, "POLICY_INDEX_DIR": str(read_only_index / "none")},
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 1 and "read-only and holds no index" in empty.stderr
    assert "Traceback" not in build.stderr + empty.stderr
    assert _tree(read_only_index) == before
