"""Question sets and answers files: the labelled items, the `ask --jsonl` requests that ask them, and
the answers a system gave (the CLI contract's JSON, matched by id). Formats: evals/README.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent  # the source checkout (corpus/, index/, evals/)
SETS = ROOT / "evals"  # the question sets (questions.jsonl, heldout.jsonl …) and reports/
AnswerFn = Callable[[str, list[dict]], dict]  # (question, history) -> an answer in the contract's JSON
TURN_SEP = "@"  # request id of the k-th history turn of item X: "X@k" (see `requests`)
MISSING = {"answer": "", "refused": False, "citations": []}


class SetError(ValueError):
    """The question set is malformed (the message names the line)."""


@dataclass
class Item:
    id: str
    kind: str
    lang: str
    question: str
    clauses: list[int]  # most relevant first; for kind "reverse" the full set; [] for document-level facts
    facts: list[str | list[str]]  # each must appear in the answer (a list = any one of the alternatives)
    refused: bool
    must_not: list[str] = field(default_factory=list)
    history_questions: list[str] = field(default_factory=list)
    doc: str | None = None  # the notice (doc_id) the answer must cite, when the corpus holds several


def load_items(path: Path | str) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            e = d["expect"]
            item = Item(
                id=str(d["id"]),
                kind=str(d["kind"]),
                lang=str(d.get("lang", "zh")),
                question=str(d["question"]),
                clauses=[int(c) for c in e.get("clauses", [])],
                facts=list(e.get("facts", [])),
                refused=bool(e.get("refused", False)),
                must_not=[str(m) for m in e.get("must_not", [])],
                history_questions=[str(h) for h in d.get("history_questions", [])],
                doc=str(d["doc"]) if d.get("doc") else None,
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise SetError(f"{path}:{lineno}: not a question-set line ({type(exc).__name__}: {exc})") from exc
        if item.id in seen:
            raise SetError(f"{path}:{lineno}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


def clause_number(value: object) -> int | None:
    """A citation's clause as an int (an integer or a string of digits); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


@dataclass
class AnswersFile:
    """Answers read from a JSONL file: usable rows by id, plus what was wrong with the others."""

    rows: dict[str, dict]
    lines: int
    problems: list[str]

    def for_items(self, items: list[Item]) -> tuple[list[tuple[Item, dict]], list[str]]:
        """Pair each item with its answer; an item without a usable answer gets an empty, unrefused one."""
        pairs, missing = [], []
        for it in items:
            row = self.rows.get(it.id)
            if row is None:
                missing.append(it.id)
                row = {**MISSING, "missing": True}
            pairs.append((it, row))
        return pairs, missing


def _check_row(row: object) -> str | None:
    """Why a decoded line is not a usable answer (None if it is)."""
    if not isinstance(row, dict):
        return "not a JSON object"
    if row.get("id") is None:
        return "no id"
    if "error" in row:
        return f"error row: {row['error']}"
    if not isinstance(row.get("answer"), str):
        return "'answer' missing or not a string"
    if not isinstance(row.get("refused", False), bool):
        return "'refused' is not true/false"
    cits = row.get("citations", [])
    if not isinstance(cits, list) or not all(isinstance(c, dict) for c in cits):
        return "'citations' is not a list of objects"
    for c in cits:
        clause = c.get("clause")
        if clause is not None and (
            isinstance(clause, bool)
            or not isinstance(clause, (int, str))
            or (isinstance(clause, str) and not clause.strip().isdigit())
        ):
            return f"citation clause {clause!r} is neither an integer nor null"
    return None


def read_answers(fh: TextIO | Path | str) -> AnswersFile:
    """Read answers in the CLI contract's --jsonl output format. Malformed lines are reported, not fatal."""
    text = fh.read() if hasattr(fh, "read") else Path(fh).read_text(encoding="utf-8")
    rows: dict[str, dict] = {}
    problems: list[str] = []
    n = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        n += 1
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not valid JSON ({exc.msg})")
            continue
        why = _check_row(row)
        if why:
            ident = row.get("id") if isinstance(row, dict) else None
            problems.append(f"line {lineno}" + (f" (id {ident!r})" if ident is not None else "") + f": {why}")
            continue
        key = str(row["id"])
        if key in rows:
            problems.append(f"line {lineno}: duplicate id {key!r} (the first answer is scored)")
            continue
        rows[key] = row
    return AnswersFile(rows=rows, lines=n, problems=problems)


def requests(items: Iterable[Item], answers: dict[str, dict] | None = None) -> list[dict]:
    """The `ask --jsonl` input lines that can be asked now, given the answers so far.

    A single-turn item is one request (id = the item's id). An item with history questions needs
    one round per turn: turn k (1-based) is asked as id "ITEM@k" with the real answers of turns
    1..k-1 as history, and the final question as id "ITEM" once every turn is answered. Feed the
    output back with the answers until nothing is left (`policy-assistant eval --requests`).
    """
    answers = answers or {}
    out = []
    for it in items:
        turns = [*it.history_questions, it.question]
        history: list[dict] = []
        for k, question in enumerate(turns, start=1):
            rid = it.id if k == len(turns) else f"{it.id}{TURN_SEP}{k}"
            got = answers.get(rid)
            if got is None:
                out.append({"id": rid, "question": question, "history": history})
                break
            history = history + [
                {"role": "user", "content": question},
                {"role": "assistant", "content": str(got.get("answer", ""))},
            ]
    return out
