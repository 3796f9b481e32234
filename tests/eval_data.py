"""Hand-made data shared by the harness tests (tests/test_eval_*.py, test_evaluation.py): a small notice,
answers in the contract's JSON, labelled items, and a three-item set about the real notice."""

from __future__ import annotations

import json
from pathlib import Path

from evals.datasets import Item

NOTICE = """某某市人民政府办公厅文件

某政办发〔2024〕7号

某某市人民政府办公厅 关于印发某某市促进数字经济发展若干措施的通知

《某某市促进数字经济发展若干措施》已经市政府同意，现印发给你们。

某某市人民政府办公厅
2024年3月1日

某某市促进数字经济发展若干措施

为加快数字经济发展，制定如下措施。

一、加强算力保障。新建数据中心给予最高 500 万元补助。对年度用电量超过 1000 万千瓦时的企业给予电价优惠。（责任单位：市发改委、市工信局）

二、培育数据市场。支持建设数据交易平台，鼓励企业开放数据资源。（责任单位：市数据局）

本措施自发布之日起执行，由市数据局会同相关部门制定具体实施方案，有效期至2027年6月30日。
"""
DOC = "某政办发〔2024〕7号"


def cite(clause, quote="", doc=DOC) -> dict:
    return {"clause": clause, "title": "", "doc_number": doc, "quote": quote, "units": []}


def answer(text, clauses=(), refused=False) -> dict:
    return {"answer": text, "refused": refused, "citations": [cite(c) for c in clauses], "latency_ms": 5.0}


FACT = Item(
    id="f1",
    kind="fact",
    lang="zh",
    question="数据中心有补助吗？",
    clauses=[1],
    facts=["500 万元"],
    refused=False,
    must_not=["800万元"],
)
OOS = Item(id="o1", kind="oos", lang="zh", question="签证怎么办？", clauses=[], facts=[], refused=True)
REVERSE = Item(
    id="r1", kind="reverse", lang="zh", question="市工信局负责哪些？", clauses=[1, 2], facts=[], refused=False
)
META = Item(id="m1", kind="meta", lang="zh", question="文号是多少？", clauses=[], facts=[DOC], refused=False)
GOOD = "根据第一条「加强算力保障」：\n> 新建数据中心给予最高 500 万元补助。\n【第一条 加强算力保障】（某政办发〔2024〕7号）"

# Three questions about the real notice (corpus/): a fact, a follow-up, an out-of-scope question.
REAL_SET = [
    {
        "id": "a",
        "kind": "fact",
        "lang": "zh",
        "question": "工业用地占比有没有最低要求？",
        "expect": {"clauses": [1], "facts": ["20%"], "refused": False, "must_not": []},
    },
    {
        "id": "b",
        "kind": "followup",
        "lang": "zh",
        "question": "这条找哪个部门？",
        "history_questions": ["工业用地成本这块有什么优惠？"],
        "expect": {"clauses": [3], "facts": ["市财政局"], "refused": False, "must_not": []},
    },
    {
        "id": "c",
        "kind": "oos",
        "lang": "zh",
        "question": "驾照快到期了，在西安去哪换证？",
        "expect": {"clauses": [], "facts": [], "refused": True, "must_not": []},
    },
]


def write_set(folder: Path, rows: list[dict] = REAL_SET) -> Path:
    path = folder / "set.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in rows), encoding="utf-8")
    return path
