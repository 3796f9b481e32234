"""Server mode: the same assistant against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from assistant import Assistant, Settings

from .helpers import VENV_BIN, free_port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
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


@pytest.mark.slow
def test_assistant_builds_and_answers_through_a_chroma_server(chroma_server, tmp_path):
    s = Settings().with_(chroma={"host": "127.0.0.1", "port": chroma_server}, index_dir=tmp_path / "local")
    first = Assistant(s)
    assert first.built
    assert first.ask("企业扩产缺资金，政府的产业基金能不能投？").citations[0].clause == 9
    again = Assistant(s)
    assert not again.built  # the manifest lives in the server's collection metadata
    assert not (tmp_path / "local" / "chroma").exists()  # nothing was written to a local store
