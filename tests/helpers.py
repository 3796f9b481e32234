"""Helpers shared by the tests (one place for paths, ports and servers)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "xian-industrial-measures-2023.txt"
REAL_NOTICES = ROOT.parent / "shared" / "real-notices"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
CHROMIUM = "/usr/bin/chromium"  # Debian's (make browser); never a downloaded browser
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OUTPUT = ROOT / "test-output"  # screenshots and other artefacts a person looks at (git-ignored)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def made_up(number: str, topic: str, clauses: list[str], closing: str = "本措施自印发之日起施行。") -> str:
    """A small notice in the seed's layout (一、二、… measures with their 责任单位)."""
    title = f"某市促进{topic}发展若干措施"
    body = "\n".join(f"{'一二三四五'[i]}、{c}" for i, c in enumerate(clauses))
    return (
        f"某市人民政府\n{number}\n某市人民政府关于印发{title}的通知\n各区县人民政府，市政府各部门：\n"
        f"《{title}》已经市政府同意，现印发给你们，请认真贯彻落实。\n某市人民政府\n2024年3月1日\n"
        f"{title}\n为促进{topic}发展，制定如下措施。\n{body}\n{closing}\n"
    )


# --- the server as a subprocess -------------------------------------------------------------------
def policy_env(index_dir: Path, tmp: Path, **settings: str) -> dict[str, str]:
    """The environment of a server or CLI run: offline, its own index and feedback log, today fixed, and
    POLICY_<NAME> for each keyword (server_api_key="k" → POLICY_SERVER_API_KEY=k). POLICY_* variables of
    the calling shell are left out so that they cannot change what is tested."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        GRADIO_TEMP_DIR=str(tmp / "gradio-tmp"),
        POLICY_INDEX_DIR=str(index_dir),
        POLICY_CORPUS_DIR=str(ROOT / "corpus"),
        POLICY_FEEDBACK_LOG=str(tmp / "feedback.jsonl"),
        POLICY_TODAY="2026-12-01",
    )
    env.update({f"POLICY_{name.upper()}": value for name, value in settings.items()})
    return env


class Server:
    """`policy-assistant serve` on a free port, ready (GET /readyz is 200) when the constructor returns.
    host=None leaves --host out (the default bind)."""

    def __init__(self, tmp: Path, index_dir: Path, *args: str, host: str | None = "127.0.0.1", **settings: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tmp
        self.env = policy_env(index_dir, tmp, **settings)
        self.log = tmp / "serve.log"
        cmd = [
            str(VENV_BIN / "policy-assistant"),
            "serve",
            "--port",
            str(self.port),
            *(["--host", host] if host else []),
            *args,
        ]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"serve was not ready on {self.url} within {timeout} s:\n{self.output()}")

    def ready(self) -> dict:
        """GET /readyz (status, index_version, notices, reloads)."""
        return httpx.get(f"{self.url}/readyz", timeout=10).json()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def http(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
