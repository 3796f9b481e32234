"""Feedback log without a browser: personal data is masked, concurrent writers never lose or mix records."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest

from assistant.feedback import (
    MASKS,
    MAX_RECORD_BYTES,
    BadFeedback,
    RateLimit,
    append_jsonl,
    feedback_record,
    mask_pii,
)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("请回电13812345678，谢谢", "13812345678"),
        ("手机 +86 138 1234 5678", "138 1234 5678"),
        ("手机138-1234-5678", "1234-5678"),
        ("座机029-88886666转分机", "88886666"),
        ("(029)88886666", "88886666"),
    ],
)
def test_phone_numbers_are_masked(text: str, secret: str) -> None:
    out = mask_pii(text)
    assert secret not in out
    assert MASKS["phone"] in out


@pytest.mark.parametrize("number", ["61010419900307123X", "61010419900307123x", "610104199003071234"])
def test_id_numbers_are_masked_including_trailing_x(number: str) -> None:
    out = mask_pii(f"我的身份证号是{number}。")
    assert number not in out and number[:10] not in out
    assert out == f"我的身份证号是{MASKS['id']}。"


@pytest.mark.parametrize(
    "text, secret, mask",
    [
        ("卡号6222021234567890123", "6222021234567890123", "card"),  # 19 digits
        ("卡号 6222 0212 3456 7890", "6222 0212 3456 7890", "card"),  # 16, in groups
        ("卡号6222-0212-3456-7890-12", "3456-7890", "card"),
        ("护照号E12345678，签证…", "E12345678", "passport"),
        ("passport EA1234567 please", "EA1234567", "passport"),
        ("手机１３８１２３４５６７８", "１３８１２３４５６７８", "phone"),  # full-width digits
        ("身份证６１０１０４１９９００３０７１２３Ｘ", "６１０１０４", "id"),
        ("卡号６２２２　０２１２　３４５６　７８９０", "３４５６", "card"),
    ],
)
def test_cards_passports_and_full_width_numbers_are_masked(text: str, secret: str, mask: str) -> None:
    out = mask_pii(text)
    assert secret not in out and secret.translate({i: i - 0xFEE0 for i in range(0xFF10, 0xFF1A)}) not in out
    assert MASKS[mask] in out


def test_email_addresses_are_masked() -> None:
    out = mask_pii("发到 zhang.san+policy@example.com.cn 或 li@qq.com谢谢")
    assert "@" not in out
    assert out.count(MASKS["email"]) == 2 and out.endswith("谢谢")


@pytest.mark.parametrize(
    "text",
    [
        "全市年度国有建设用地供应计划中，确保不低于 1/3 用于工业项目。",
        "工业用地占城镇建设用地面积比重不少于 20%",
        "市政办发〔2023〕31号，2023年12月26日印发",
        "第五条和第十条找谁？",
    ],
)
def test_policy_text_is_left_alone(text: str) -> None:
    assert mask_pii(text) == text


def test_record_masks_question_and_comment_but_keeps_the_citations() -> None:
    rec = feedback_record(
        question="我是张三，电话13812345678，身份证61010419900307123X，能补贴多少？",
        answer="根据第一条……",
        citations=[{"clause": 1, "title": "强化工业用地保障"}],
        rating="down",
        comment="  请发邮件到 a@b.cn 或打 13912345678  ",
    )
    line = json.dumps(rec, ensure_ascii=False)
    for secret in ("13812345678", "61010419900307123X", "a@b.cn", "13912345678"):
        assert secret not in line
    assert rec["rating"] == "down" and rec["citations"][0]["clause"] == 1
    assert rec["comment"] == f"请发邮件到 {MASKS['email']} 或打 {MASKS['phone']}"
    assert {"time", "question", "answer", "citations", "rating", "comment"} <= rec.keys()


def _record(**change) -> dict:
    fields = {"question": "用地？", "answer": "根据第一条……", "citations": [{"clause": 1}], "rating": "up"}
    return feedback_record(**{**fields, **change})


@pytest.mark.parametrize(
    "change, field",
    [
        ({"rating": "x" * 1_000_000}, "rating"),
        ({"rating": "61010419900307123X"}, "rating"),
        ({"rating": None}, "rating"),
        ({"feedback_id": "../../etc/passwd"}, "feedback id"),
        ({"lang": "fr"}, "lang"),
        ({"kind": "<script>"}, "kind"),
        ({"question": 5}, "question"),
        ({"citations": "第一条"}, "citations"),
    ],
)
def test_every_field_is_validated(change: dict, field: str) -> None:
    with pytest.raises(BadFeedback, match=field):
        _record(**change)


def test_a_record_is_capped_in_size() -> None:
    rec = _record(
        question="问" * 100_000,
        answer="答" * 1_000_000,
        comment="评" * 100_000,
        citations=[{"clause": i, "title": "标题" * 500} for i in range(1000)],
    )
    line = json.dumps(rec, ensure_ascii=False).encode()
    assert len(line) <= MAX_RECORD_BYTES
    assert len(rec["question"]) == 2000 and len(rec["comment"]) == 2000 and len(rec["citations"]) == 20


def test_the_log_is_rotated_by_size_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    for i in range(100):
        append_jsonl(path, {"i": i, "pad": "x" * 500}, max_bytes=10_000, keep=20)
    files = sorted(tmp_path.iterdir())
    assert len(files) > 3 and all(f.stat().st_size <= 10_000 + 600 for f in files)
    seen = sorted(json.loads(ln)["i"] for f in files for ln in f.read_text().splitlines())
    assert seen == list(range(100))
    for i in range(100, 400):  # keep bounds the number of files: the oldest go
        append_jsonl(path, {"i": i, "pad": "x" * 500}, max_bytes=10_000, keep=3)
    assert sorted(f.name for f in tmp_path.iterdir())[:4] == [
        "feedback.jsonl",
        "feedback.jsonl.1",
        "feedback.jsonl.2",
        "feedback.jsonl.3",
    ]


def test_the_rate_limit_is_per_client() -> None:
    limit = RateLimit(per_minute=5)
    assert [limit.allow("10.0.0.1") for _ in range(7)] == [True] * 5 + [False] * 2
    assert limit.allow("10.0.0.2")
    assert all(RateLimit(0).allow("x") for _ in range(100))


def _payload(writer: int, i: int) -> dict:
    # Large records (~20 KB) make torn or interleaved writes likely if the writer were not atomic.
    return {"writer": writer, "i": i, "blob": f"{writer}-{i}-" + "政策" * 10_000}


def _check_log(path: Path, writers: int, per_writer: int) -> None:
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every record ends with a newline
    seen = set()
    for raw in lines[:-1]:
        rec = json.loads(raw)  # every line is one complete JSON document
        assert rec == _payload(rec["writer"], rec["i"])
        seen.add((rec["writer"], rec["i"]))
    assert len(lines) - 1 == writers * per_writer
    assert seen == {(w, i) for w in range(writers) for i in range(per_writer)}  # none lost, none doubled


def test_concurrent_threads_never_interleave_or_lose_records(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "feedback.jsonl"  # parent directories are created on demand
    writers, per_writer = 8, 60
    start = threading.Barrier(writers)

    def work(w: int) -> None:
        start.wait()
        for i in range(per_writer):
            append_jsonl(path, _payload(w, i))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    _check_log(path, writers, per_writer)


def _process_writer(path: str, w: int, per_writer: int) -> None:
    for i in range(per_writer):
        append_jsonl(path, _payload(w, i))


def _run_processes(target, path: Path, writers: int, per_writer: int) -> None:
    """`writers` forked processes each running target(path, w, per_writer); all must exit cleanly."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=target, args=(str(path), w, per_writer)) for w in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0


def test_concurrent_processes_never_interleave_or_lose_records(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    _run_processes(_process_writer, path, writers=20, per_writer=50)
    _check_log(path, 20, 50)


def _rotating_writer(path: str, w: int, per_writer: int) -> None:
    for i in range(per_writer):
        append_jsonl(path, _payload(w, i), max_bytes=2_000_000, keep=1000)


def test_concurrent_processes_rotating_the_log_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    writers, per_writer = 20, 50  # ~20 MB in all: the log is rotated about ten times meanwhile
    _run_processes(_rotating_writer, path, writers, per_writer)
    files = list(tmp_path.iterdir())
    assert len(files) > 5
    seen = []
    for f in files:
        for raw in f.read_bytes().splitlines():
            rec = json.loads(raw)
            assert rec == _payload(rec["writer"], rec["i"])
            seen.append((rec["writer"], rec["i"]))
    assert sorted(seen) == [(w, i) for w in range(writers) for i in range(per_writer)]
