"""evals.grounding: answer sentences and the grounding definition (evals/README.md, "Metrics")."""

from __future__ import annotations

from datetime import date

import pytest

from assistant import parse_notice
from evals.grounding import Corpus, answer_sentences, grounding

from .eval_data import DOC, NOTICE, cite


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus([parse_notice(NOTICE, "digital")], today=date(2026, 6, 30))


def test_sentences_drop_quote_markers_and_list_numbers():
    assert answer_sentences("lead：\n> 甲。乙！\n\n2. 【第二条 培育数据市场】") == [
        "lead：",
        "甲。",
        "乙！",
        "【第二条 培育数据市场】",
    ]
    assert answer_sentences("One. Two? three") == ["One.", "Two?", "three"]


def test_grounding_definition(corpus):
    frame = f"根据《某某市促进数字经济发展若干措施》（{DOC}）第一条「加强算力保障」："
    quote = "> 新建数据中心给予最高500万元补助。"  # whitespace differences do not matter
    units = "责任单位：市发改委、市工信局"
    assert grounding(f"{frame}\n{quote}\n{units}", [cite(1)], corpus) == (1.0, [])
    # a quote from the other clause, cited as clause 1, is misattributed
    share, bad = grounding("> 支持建设数据交易平台，鼓励企业开放数据资源。", [cite(1)], corpus)
    assert share == 0.0 and bad
    # a figure the cited clause does not state, or a title it does not have
    assert grounding("每家补助 800 万元。", [cite(1)], corpus)[0] == 0.0
    assert grounding("第一条「培育数据市场」：", [cite(1)], corpus)[0] == 0.0
    # nothing cited: no quote can be traced
    assert grounding(quote, [], corpus)[0] == 0.0
    # a document-level citation: dates of the notice and ones derived from the run's date
    assert grounding("有效期至2027年6月30日，截至今天（2026年6月30日）还有365天到期。", [cite(None)], corpus)[0] == 1.0
    # an empty answer has no sentence to judge
    assert grounding("", [cite(1)], corpus) == (None, [])


def test_a_citation_of_an_unknown_document_counts_for_a_one_notice_corpus(corpus):
    quote = "> 新建数据中心给予最高500万元补助。"
    assert grounding(quote, [cite(1, doc="")], corpus)[0] == 1.0
    two = Corpus([parse_notice(NOTICE, "a"), parse_notice(NOTICE.replace("7号", "8号"), "b")])
    assert grounding(quote, [cite(1, doc="")], two)[0] == 0.0
