"""Helpers shared by the tests (one place for paths, ports and servers)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

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
