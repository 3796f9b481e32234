"""Feedback log: validate and mask a record, then append it as one JSON line without ever interleaving.

Used by the web UI (👍/👎 with an optional comment). Safe for many threads and processes writing the
same file: each record is one ``os.write`` of a complete line to a file opened with O_APPEND, under an
exclusive ``fcntl.flock`` (processes) and a ``threading.Lock`` (threads of this process). The log is
rotated by size (feedback.jsonl → feedback.jsonl.1 → …) under the same lock, so no record is lost.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

MASKS = {
    "id": "[身份证号已隐藏]",
    "email": "[邮箱已隐藏]",
    "phone": "[电话已隐藏]",
    "card": "[银行卡号已隐藏]",
    "passport": "[证件号已隐藏]",
}
RATINGS = ("up", "down", "cleared")
MAX_CHARS = {"question": 2000, "answer": 20000, "comment": 2000}  # longer text is cut before it is logged
MAX_CITATIONS = 20
MAX_RECORD_BYTES = 64 * 1024

# Full-width digits, letters, + - . @ and the ideographic space are read as ASCII before masking
# (１３８ ００１３ ８０００ is a phone number too); other full-width punctuation (，：（）) is kept.
_WIDE = {i: i - 0xFEE0 for i in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]} | {
    0xFF0B: 0x2B,
    0xFF0D: 0x2D,
    0xFF0E: 0x2E,
    0xFF20: 0x40,
    0x3000: 0x20,
}
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
# Bank card numbers: 16 to 19 digits, in groups split by spaces or dashes or not at all.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){15,18}(?![\d-])")
# Any longer run of digits (20 digits is no card, but may still be one with a typo): masked as a card.
_LONG = re.compile(r"\d{16,}")
# Passport and travel-permit numbers: one or two letters and 7 or 8 digits (E12345678, EA1234567, G…, H…).
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{7,8}(?![A-Za-z0-9])")


def mask_pii(text: str | None) -> str:
    """Replace ID, bank card, passport and phone numbers and e-mail addresses with placeholders."""
    if not text:
        return text or ""
    text = text.translate(_WIDE)
    text = _ID.sub(MASKS["id"], text)
    text = _EMAIL.sub(MASKS["email"], text)
    text = _CARD.sub(MASKS["card"], text)  # before phones: a card's groups look like a landline
    text = _LONG.sub(MASKS["card"], text)
    text = _PHONE.sub(MASKS["phone"], text)
    return _PASSPORT.sub(MASKS["passport"], text)


class BadFeedback(ValueError):
    """A record field that cannot be logged as given (the message names it)."""


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise BadFeedback(f"{name} must be a string")
    return mask_pii(value.encode("utf-8", "replace").decode("utf-8")[: MAX_CHARS.get(name, 200)])


def _citations(value: object) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise BadFeedback("citations must be a list of objects")
    keep = ("clause", "label", "title", "doc_number", "doc_id")
    return [
        {k: (c[k] if isinstance(c[k], int) and not isinstance(c[k], bool) else str(c[k])[:200]) for k in keep if k in c}
        for c in value[:MAX_CITATIONS]
    ]


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
    """One log record, every field checked (BadFeedback names the one that is not) and capped; personal
    data in the question, answer and comment is masked here."""
    if rating not in RATINGS:
        raise BadFeedback(f"rating must be one of {', '.join(RATINGS)}")
    if not isinstance(feedback_id, str) or not re.fullmatch(r"[\w-]{0,64}", feedback_id, re.ASCII):
        raise BadFeedback("feedback id must be up to 64 letters, digits, _ or -")
    if lang not in ("zh", "en", ""):
        raise BadFeedback("lang must be zh or en")
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z_]{0,32}", kind):
        raise BadFeedback("kind must be a question kind")
    record = {
        "time": (now or datetime.now(UTC).astimezone()).isoformat(timespec="seconds"),
        "id": feedback_id,
        "rating": rating,
        "comment": _text("comment", comment).strip(),
        "question": _text("question", question),
        "answer": _text("answer", answer),
        "citations": _citations(citations),
        "lang": lang,
        "kind": kind,
    }
    while len(_line(record)) > MAX_RECORD_BYTES and record["answer"]:  # the answer can be re-read: cut it
        record["answer"] = record["answer"][: len(record["answer"]) // 2]
    return record


def _line(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


_thread_lock = threading.Lock()


def append_jsonl(path: str | os.PathLike, record: dict, max_bytes: int = 0, keep: int = 5) -> None:
    """Append ``record`` as one JSON line. Never interleaves with other writers (threads or processes).
    With max_bytes, a log that has reached it is first rotated (path → path.1 …, `keep` old files)."""
    data = _line(record)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _thread_lock:
        while True:
            fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _rotated_away(fd, p):  # another process rotated while we waited: write to the new file
                    continue
                if max_bytes and os.fstat(fd).st_size >= max_bytes:
                    _rotate(p, keep)
                    continue
                view = memoryview(data)
                while view:  # os.write may write less than asked (signals, huge records)
                    view = view[os.write(fd, view) :]
                return
            finally:
                os.close(fd)  # closing releases the lock


def _rotated_away(fd: int, p: Path) -> bool:
    try:
        return os.stat(p).st_ino != os.fstat(fd).st_ino
    except FileNotFoundError:
        return True


def _rotate(p: Path, keep: int) -> None:
    """path.{keep-1} → path.{keep} (the oldest is replaced), …, path → path.1. Called under the lock."""
    for i in range(max(1, keep) - 1, 0, -1):
        older = p.with_name(f"{p.name}.{i}")
        if older.exists():
            os.replace(older, p.with_name(f"{p.name}.{i + 1}"))
    os.replace(p, p.with_name(f"{p.name}.1"))


class RateLimit:
    """At most `per_minute` events per key (a client address) in any minute: a token bucket per key."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget idle clients rather than grow without bound
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True
