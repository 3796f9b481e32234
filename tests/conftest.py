"""Shared fixtures. Tests never reach the network: outbound connections to non-loopback hosts fail."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import time
from datetime import date

import pytest

from .helpers import SEED, VENV_BIN, free_port

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise OSError(f"test tried to reach the network: {address}")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from assistant.settings import Settings

    index_dir = tmp_path_factory.mktemp("index")
    return Settings().with_(index_dir=index_dir, today=date(2026, 11, 30))


@pytest.fixture(scope="session")
def assistant(settings):
    """The real assistant: real parser, real USE embedder, real Chroma store (in a temp folder)."""
    from assistant.assistant import Assistant

    return Assistant(settings)


@pytest.fixture(scope="session")
def notice():
    from assistant.corpus import parse_notice

    return parse_notice(SEED.read_text(encoding="utf-8"), doc_id=SEED.stem)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a free loopback port, one per test module; yields its port."""
    exe = VENV_BIN / "chroma"  # installed with chromadb
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start")
    yield port
    proc.terminate()
    proc.wait(timeout=10)
