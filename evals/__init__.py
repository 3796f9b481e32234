"""The evaluation harness of policy-assistant: question sets, the scorer, grounding, runs, reports,
the `--compare` baselines (evals.baselines) and the speed benchmark (evals.bench).

It uses only the product's public API (`assistant`) and its wire contract (`assistant.contract`), so
the same scorer grades this assistant in-process or any system that writes the contract's JSON.
Metric definitions and the set format: evals/README.md.

    from assistant import Assistant
    from evals import Corpus, assistant_answer_fn, evaluate, load_items, meets_bar, table
"""

from .datasets import AnswerFn, AnswersFile, Item, SetError, load_items, read_answers, requests
from .grounding import Corpus, grounding
from .reports import compare_table, markdown, table, write_reports
from .running import assistant_answer_fn, drive, eval_report, evaluate, run
from .scoring import meets_bar, score, summarise

__all__ = [
    "AnswerFn",
    "AnswersFile",
    "Corpus",
    "Item",
    "SetError",
    "assistant_answer_fn",
    "compare_table",
    "drive",
    "eval_report",
    "evaluate",
    "grounding",
    "load_items",
    "markdown",
    "meets_bar",
    "read_answers",
    "requests",
    "run",
    "score",
    "summarise",
    "table",
    "write_reports",
]
