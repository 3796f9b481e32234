"""With many notices, answers that list notices stay short and naming a notice still works."""

from __future__ import annotations

import pytest

from assistant import Assistant, Settings, int_to_cn

from .helpers import made_up

TOPICS = [f"示范产业{int_to_cn(i)}" for i in range(1, 36)]


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Assistant:
    root = tmp_path_factory.mktemp("many")
    (root / "corpus").mkdir()
    for i, topic in enumerate(TOPICS, start=1):
        text = made_up(
            f"某政发〔2024〕{i}号",
            topic,
            [
                f"支持{topic}项目建设。对新建项目给予{i}万元补助。（责任单位：市发展改革委）",
                f"支持{topic}人才引进。对引进的人才给予{i}千元补贴。（责任单位：市人社局）",
            ],
        )
        (root / "corpus" / f"n{i:02d}.txt").write_text(text, encoding="utf-8")
    (root / "corpus" / "tea.txt").write_text(
        made_up(
            "某政发〔2024〕99号",
            "茶叶产业",
            [
                "支持茶园标准化建设。对新建标准化茶园给予每亩800元补助。（责任单位：市农业农村局）",
                "支持茶叶品牌推广。对获得国家级茶叶品牌认定的企业给予一次性奖励5万元。（责任单位：市市场监管局）",
            ],
        ),
        encoding="utf-8",
    )
    return Assistant(Settings().with_(corpus_dir=root / "corpus", index_dir=root / "index"))


def test_which_notice_lists_the_first_thirty_and_counts_the_rest(many):
    a = many.ask("第一条讲的什么？")
    assert a.kind == "clarify"
    assert a.text.count("某政发〔2024〕") == 30 + 1  # the example names one 文号 too
    assert "另有6份通知" in a.text


def test_a_refusal_names_a_few_notices_and_the_total(many):
    a = many.ask("帮我订一家酒店")
    assert a.refused
    assert "等36份通知" in a.text and len(a.text) < 600


def test_a_distinctive_title_word_names_its_notice_among_many(many):
    a = many.ask("茶叶产业那个通知有效期到什么时候？")
    assert [c.doc_number for c in a.citations] == ["某政发〔2024〕99号"]
