"""Feedback log: mask personal data, then append one JSON line per record without ever interleaving.

Used by the web UI (👍/👎 with an optional comment). Safe for many threads and processes writing the
same file: each record is one ``os.write`` of a complete line to a file opened with O_APPEND, under an
exclusive ``fcntl.flock`` (processes) and a ``threading.Lock`` (threads of this process).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

MASKS = {"id": "[身份证号已隐藏]", "email": "[邮箱已隐藏]", "phone": "[电话已隐藏]"}

# 18-digit resident ID numbers (17 digits + a digit or X check character); deliberately not validated
# (a mistyped ID is still personal data).
_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Mobile numbers (optionally +86 / 0086, optionally split by spaces or dashes) and landlines with an
# area code (029-8888 8888, (029)88888888, 02988888888).
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
    r"|(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{4}(?!\d)"
)


def mask_pii(text: str | None) -> str:
    """Replace phone numbers, 18-digit ID numbers and e-mail addresses with placeholders."""
    if not text:
        return text or ""
    text = _ID.sub(MASKS["id"], text)
    text = _EMAIL.sub(MASKS["email"], text)
    return _PHONE.sub(MASKS["phone"], text)


_thread_lock = threading.Lock()


def append_jsonl(path: str | os.PathLike, record: dict) -> None:
    """Append ``record`` as one JSON line. Never interleaves with other writers (threads or processes)."""
    data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _thread_lock:
        fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                view = memoryview(data)
                while view:  # os.write may write less than asked (signals, huge records)
                    view = view[os.write(fd, view) :]
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def feedback_record(
    *,
    question: str,
    answer: str,
    citations: list[dict],
    rating: str,
    comment: str = "",
    feedback_id: str = "",
    lang: str = "",
    kind: str = "",
    now: datetime | None = None,
) -> dict:
    """One log record; personal data in the question and comment is masked here."""
    return {
        "time": (now or datetime.now(UTC).astimezone()).isoformat(timespec="seconds"),
        "id": feedback_id,
        "rating": rating,
        "comment": mask_pii(comment.strip()),
        "question": mask_pii(question),
        "answer": mask_pii(answer),
        "citations": citations,
        "lang": lang,
        "kind": kind,
    }
