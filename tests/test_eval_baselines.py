"""evals.baselines: the pieces of the textbook RAG, and the three baselines run on the real assistant (temp index)."""

from __future__ import annotations

from assistant import clause_spans, parse_notice
from evals.baselines import clause_at, make_baselines, search_text

from .eval_data import NOTICE

FACT_Q = "工业用地占比有没有最低要求？"  # clause 1 of the real notice


def test_textbook_chunks_map_to_the_clause_holding_most_of_their_text():
    notice = parse_notice(NOTICE, "digital")
    spans = clause_spans(NOTICE, notice)
    assert [s[2] for s in spans] == [None, 1, 2, None]
    start1 = NOTICE.index("一、加强")
    start2 = NOTICE.index("二、培育")
    assert clause_at(spans, start1 + 5, 20) == 1
    assert clause_at(spans, start2 - 5, 30) == 2
    assert clause_at(spans, 0, 30) is None


def test_a_follow_up_is_searched_with_the_previous_user_turn():
    history = [{"role": "user", "content": "算力？"}, {"role": "assistant", "content": "…"}]
    assert search_text("这条找谁？", history) == "算力？ 这条找谁？"
    assert search_text("这条找谁？", []) == "这条找谁？"


def test_the_baselines_answer_every_question_in_the_contract(assistant):
    baselines, unavailable = make_baselines(assistant)
    assert unavailable == {} and [b.name for b in baselines] == ["bm25", "dense", "textbook-rag"]
    by_name = {b.name: b for b in baselines}
    try:
        for b in baselines:
            out = b.answer(FACT_Q, [])
            assert out["refused"] is False and isinstance(out["answer"], str) and out["answer"]
            assert len(out["citations"]) == 1 and out["latency_ms"] >= 0 and "total" in out["timings_ms"]
            assert set(out["citations"][0]) == {"clause", "title", "doc_number", "quote", "units"}
            assert b.description
        for name in ("bm25", "dense"):  # the top clause, quoted whole
            out = by_name[name].answer(FACT_Q, [])
            clause = assistant.notices[0].clause(1)
            assert out["citations"][0]["clause"] == 1 and out["answer"] == clause.text
        nothing = by_name["bm25"].answer("zzzz qqq", [])  # no token of it is in the index
        assert nothing == {**nothing, "answer": "", "refused": False, "citations": []}
        assert "chunks" in by_name["textbook-rag"].description
    finally:
        for b in baselines:
            b.close()
    by_name["textbook-rag"].close()  # closing twice is harmless


def test_only_the_named_baselines_are_built(assistant):
    baselines, unavailable = make_baselines(assistant, ["dense"])
    assert [b.name for b in baselines] == ["dense"] and unavailable == {}
