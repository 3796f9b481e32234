"""The web UI in a real browser: the app as a subprocess (`policy-assistant serve`, `python ui.py`: the
API process with the page mounted at /), driven by Playwright in Debian's chromium.

Every test asserts what a user sees. Each server uses an index in a temporary folder (built once per module)
and a feedback log of its own; screenshots of the main states go to test-output/screenshots/.
`make browser` (part of `make test`) installs chromium and fonts-noto-cjk; never `playwright install`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .helpers import BROWSER_ARGS, CHROMIUM, OUTPUT, ROOT, VENV_BIN, free_port

SHOTS = OUTPUT / "screenshots"
WEB = (str(VENV_BIN / "policy-assistant"), "serve")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} missing: run `make browser` (apt-get install chromium fonts-noto-cjk)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")

BOT = "#chat [data-testid='bot']"
USER = "#chat [data-testid='user']"


# --- the app as a real subprocess -----------------------------------------------------------------
@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    """A Chroma index of the corpus in a temporary folder, built once, shared by this module's servers."""
    path = tmp_path_factory.mktemp("ui-index")
    subprocess.run(
        [str(VENV_BIN / "policy-assistant"), "index"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "POLICY_INDEX_DIR": str(path)},
        timeout=300,
    )
    return path


class App:
    def __init__(self, tmp: Path, index_dir: Path, today: str, command: tuple[str, ...] = WEB, **env_extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.feedback_log = tmp / "feedback.jsonl"
        self.out = tmp / "ui.log"
        self.command = command
        env = {
            **os.environ,
            "POLICY_TODAY": today,
            "POLICY_FEEDBACK_LOG": str(self.feedback_log),
            "POLICY_INDEX_DIR": str(index_dir),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
            **env_extra,
        }
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(
                [*command, "--port", str(self.port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait()

    def _wait(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.command} exited with {self.proc.returncode}:\n{self.out.read_text(errors='replace')}"
                )
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(
            f"{self.command} did not answer on {self.url} within {timeout} s:\n{self.out.read_text(errors='replace')}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def records(self) -> list[dict]:
        if not self.feedback_log.exists():
            return []
        return [json.loads(line) for line in self.feedback_log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def app(tmp_path_factory, index_dir) -> Iterator[App]:
    a = App(tmp_path_factory.mktemp("ui"), index_dir, today="2026-06-01")
    yield a
    a.stop()


@pytest.fixture(scope="module")
def expired_app(tmp_path_factory, index_dir) -> Iterator[App]:
    # the top-level entry point kept for `python ui.py`
    a = App(tmp_path_factory.mktemp("ui-expired"), index_dir, today="2027-01-15", command=(sys.executable, "ui.py"))
    yield a
    a.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


def open_page(browser, app: App):
    """A fresh browser session on the app; records every request and any JavaScript dialog."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url.rstrip("/"))
    page = ctx.new_page()
    page.requests, page.dialogs = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(app.url, wait_until="load")
    page.wait_for_selector("#validity-banner .banner")
    page.wait_for_selector("#chat")
    page.wait_for_selector("#question textarea")
    return page


@pytest.fixture
def page(browser, app):
    p = open_page(browser, app)
    yield p
    p.context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let CSS transitions settle
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, question: str) -> str:
    """Type a question, send it, wait until the answer is shown; return the text of the last answer."""
    n = page.locator(BOT).count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n && !document.querySelector('#send').disabled",
        arg=[BOT, n],
    )
    return page.locator(BOT).last.inner_text()


# --- tests ----------------------------------------------------------------------------------------
def test_banner_shows_the_validity_date(page) -> None:
    assert "西安市工业政策助手" in page.locator("#header").inner_text()  # the title from the notice's profile
    assert page.title() == "西安市工业政策助手 · Policy Assistant"
    banner = page.locator("#validity-banner")
    assert "2026年12月31日" in banner.inner_text()
    assert "现行有效" in banner.inner_text()
    assert page.locator("#validity-banner .banner-expired").count() == 0


def test_question_gets_a_cited_answer(page) -> None:
    text = ask(page, "我们想在经开区建新产线，政府在用地上有什么支持？")
    assert "【第一条 强化工业用地保障】" in text
    assert "市政办发〔2023〕31号" in text and "责任单位" in text
    shot(page, "01-answer")


def test_citation_panel_shows_highlighted_quote_and_switches(page) -> None:
    ask(page, "我们想在经开区建新产线，政府在用地上有什么支持？")
    panel = page.locator("#cite-panel")
    assert "第一条 强化工业用地保障" in panel.locator(".cite-head").inner_text()
    marks = panel.locator("mark").all_inner_texts()
    assert marks and any("1/3" in m for m in marks)  # the quoted sentence, highlighted inside the full clause
    assert "西咸新区及各开发区管委会" in panel.inner_text() and "市政办发〔2023〕31号" in panel.inner_text()
    assert "2023年12月26日" in panel.inner_text()
    shot(page, "02-citation-panel")
    choices = page.locator("#cite-pick label")
    assert choices.count() >= 2, "this question cites two clauses"
    second = choices.nth(1).inner_text()
    choices.nth(1).click()
    page.wait_for_function(
        "t => document.querySelector('#cite-panel .cite-head').innerText.includes(t)", arg=second.strip()
    )
    assert panel.locator("mark").count() >= 1
    assert "第一条" not in panel.locator(".cite-head").inner_text()


def test_follow_up_question_uses_the_first_turn(page) -> None:
    first = ask(page, "园区招商方面有什么措施？")
    assert "第四条" in first
    follow = ask(page, "这条找哪个部门？")
    assert "市投资局" in follow and "第四条" in follow
    assert "第四条" in page.locator("#cite-panel .cite-head").inner_text()
    # clicking the first answer in the chat brings its citations back into the panel
    page.locator(BOT).first.click()
    page.wait_for_function("document.querySelector('#cite-panel mark').innerText.includes('聚焦重点产业链')")
    shot(page, "03-follow-up")


def test_follow_up_memory_and_new_conversation(page) -> None:
    # Without a first turn "这条" means nothing: the assistant asks which measure is meant.
    assert "第九条" in ask(page, "企业融资方面有哪些支持？")
    follow = ask(page, "这条找哪个部门？")
    assert "第九条" in follow and "市金融工作局" in follow
    page.click("#new-chat")
    page.wait_for_selector("#cite-panel .cite-empty")
    assert page.locator(BOT).count() == 0 and page.locator("#cite-panel mark").count() == 0
    forgot = ask(page, "这条找哪个部门？")  # the new conversation has forgotten 第九条
    assert "哪一条措施" in forgot and "市金融工作局" not in forgot
    # Gradio's own clear button on the chat (zh-CN label) starts over too, memory included
    assert "第九条" in ask(page, "企业融资方面有哪些支持？")
    page.locator("#chat button[aria-label='清空对话']").click()
    page.wait_for_selector("#cite-panel .cite-empty")  # the server has reset the conversation
    assert page.locator(BOT).count() == 0
    forgot = ask(page, "这条找哪个部门？")
    assert "哪一条措施" in forgot and "市金融工作局" not in forgot
    assert page.locator(BOT).count() == 1


def test_browse_by_responsible_unit(page) -> None:
    page.get_by_role("tab", name="浏览全部措施").click()
    rows = page.locator("#browse-table tr.measure")
    assert rows.count() == 10
    page.locator("#unit-filter input").click()
    page.get_by_role("option", name="市发改委（4 条）").click()
    page.wait_for_function("() => document.querySelectorAll('#browse-table tr.measure').length === 4")
    numbers = [r.get_attribute("data-clause") for r in rows.all()]
    assert numbers == ["4", "5", "6", "7"]
    for r in rows.all():
        assert "市发改委" in r.locator("td.units").inner_text()
    assert rows.locator(".unit-hit").count() == 4  # the selected unit is highlighted in every row
    shot(page, "04-browse-by-unit")
    page.fill("#keyword-filter textarea", "代办")
    page.wait_for_function("() => document.querySelectorAll('#browse-table tr.measure').length === 1")
    assert rows.first.get_attribute("data-clause") == "6"


def test_thumbs_down_with_comment_is_logged_with_the_phone_number_masked(page, app) -> None:
    before = len(app.records())
    ask(page, "企业融资方面有哪些支持？")
    page.locator("#chat button[aria-label='踩']").last.click()  # Gradio's zh-CN label for Dislike
    page.wait_for_selector("#feedback-comment textarea", state="visible")
    page.fill("#feedback-comment textarea", "没说具体金额，请回电13812345678")
    shot(page, "05-feedback")
    page.click("#feedback-send")
    page.wait_for_function("document.querySelector('#status').innerText.includes('感谢反馈')")
    records = app.records()[before:]
    assert [r["rating"] for r in records] == ["down", "down"]  # the rating at once, then with the comment
    last = records[-1]
    assert "13812345678" not in json.dumps(records, ensure_ascii=False)
    assert last["comment"] == "没说具体金额，请回电[电话已隐藏]"
    assert last["question"] == "企业融资方面有哪些支持？"
    assert "【第九条" in last["answer"] and last["citations"][0]["clause"] == 9
    assert last["id"] == records[0]["id"] and last["time"]


def test_script_tags_are_shown_as_text_and_never_run(page) -> None:
    typed = "<script>alert(1)</script> 和 <img src=x onerror=alert(2)> **不加粗**"
    ask(page, typed)
    bubble = page.locator(USER).last
    assert bubble.inner_text().strip() == typed
    assert page.locator("#chat img[src='x']").count() == 0 and page.locator("#chat script").count() == 0
    assert page.locator(f"{USER} strong").count() == 0
    page.wait_for_timeout(500)  # give an injected handler every chance to fire
    assert page.dialogs == []
    shot(page, "06-script-tag-as-text")


def test_too_long_question_gets_a_clear_message(page) -> None:
    n = page.locator(BOT).count()
    page.fill("#question textarea", "用地" * 300)
    page.click("#send")
    page.wait_for_selector("#status .status-warn")
    assert "问题太长（600 字）" in page.locator("#status").inner_text()
    assert page.locator(BOT).count() == n  # nothing was sent to the assistant
    assert page.input_value("#question textarea") == "用地" * 300  # kept, so the user can shorten it
    shot(page, "07-too-long")


def test_an_extractive_answer_is_drawn_at_once_and_copied(page) -> None:
    # An extractive answer takes milliseconds: no "thinking" placeholder or busy line flickers before it
    # (with a model, or while the server starts, they are shown: see the model test below).
    page.evaluate("""() => {
        window.__sawBusy = false;
        new MutationObserver(() => {
            if (document.querySelector('#status .status-busy') || document.querySelector('#chat')?.innerText.includes('正在检索条款'))
                window.__sawBusy = true;
        }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    }""")
    text = ask(page, "第六条原文是什么？")
    assert page.evaluate("window.__sawBusy") is False
    page.click("#copy-answer")
    page.wait_for_function("document.querySelector('#status').innerText.includes('已复制')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "【第六条 优化工业项目审批】" in copied and "无偿代办" in copied
    assert "> " not in copied  # plain text, without Markdown quote markers
    assert "无偿代办" in text


def test_starter_example_asks_directly(page) -> None:
    page.locator("#examples-hotline button").filter(has_text="市发改委负责哪些措施？").click()
    page.wait_for_function(
        "sel => document.querySelectorAll(sel).length === 1 && !document.querySelector('#send').disabled", arg=BOT
    )
    assert "第七条" in page.locator(BOT).last.inner_text()
    english = page.locator("#examples-investor button").filter(has_text="What land support")
    assert english.count() == 1


def test_language_switch_changes_fixed_text(page) -> None:
    page.get_by_text("English", exact=True).click()
    page.get_by_role("tab", name="Browse all measures").wait_for()
    assert "In force" in page.locator("#validity-banner").inner_text()
    assert page.locator("#send").inner_text().strip() == "Send"
    assert "Xi'an Industrial Policy Assistant" in page.locator("#header").inner_text()
    text = ask(page, "What land support does Xi'an give to new factories?")
    assert "【第一条 强化工业用地保障】" in text
    shot(page, "08-english")
    page.get_by_text("中文", exact=True).click()
    page.get_by_role("tab", name="浏览全部措施").wait_for()


def test_nothing_is_loaded_from_outside_the_machine(page) -> None:
    ask(page, "园区招商方面有什么措施？")
    page.get_by_role("tab", name="浏览全部措施").click()
    page.wait_for_selector("#browse-table tr.measure")
    page.reload(wait_until="load")
    page.wait_for_selector("#validity-banner .banner")
    hosts = {urlsplit(u).hostname for u in page.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts and hosts <= {"127.0.0.1", "localhost"}, hosts


def test_expired_notice_shows_a_clear_warning(browser, expired_app) -> None:
    page = open_page(browser, expired_app)
    try:
        banner = page.locator("#validity-banner .banner-expired")
        assert banner.count() == 1
        assert "已失效" in banner.inner_text() and "2026年12月31日" in banner.inner_text()
        assert "2027年1月15日" in banner.inner_text()
        text = ask(page, "园区招商方面有什么措施？")
        assert "已失效" in text  # every answer carries the warning too
        shot(page, "09-expired")
    finally:
        page.context.close()


def test_cli_serve_runs_the_same_ui(tmp_path, index_dir) -> None:
    app = App(tmp_path, index_dir, today="2027-01-15", command=(str(VENV_BIN / "policy-assistant"), "serve"))
    try:
        with urllib.request.urlopen(app.url + "config", timeout=10) as r:
            config = json.load(r)
        banner = next(
            c["props"]["value"] for c in config["components"] if c.get("props", {}).get("elem_id") == "validity-banner"
        )
        assert "banner-expired" in banner and "2026年12月31日" in banner
    finally:
        app.stop()


def test_with_a_model_the_chat_shows_only_checked_sentences(browser, tmp_path, index_dir) -> None:
    """A model (the OpenAI-protocol stub, trickling its reply) writes one good sentence, then invents
    figures. Every state the chat showed is recorded in the page: the good sentence appeared while the
    answer streamed, the invented one never did, and the answer ends extractive."""
    from .openai_stub import StubOpenAI

    reply = (
        "全市年度国有建设用地供应计划中，确保不低于1/3用于工业项目[第1条]。另外配套费减免50%，每亩补贴30万元[第1条]。"
    )
    with StubOpenAI(reply=reply, delay=0.2) as model:
        app = App(
            tmp_path,
            index_dir,
            today="2026-06-01",
            POLICY_LLM_BASE_URL=model.url("trickle"),
            POLICY_LLM_MODEL="stub-model",
            POLICY_LLM_TIMEOUT="60",
        )
        page = open_page(browser, app)
        try:
            page.evaluate(
                """() => { window.seen = [];
                  new MutationObserver(() => { const b = document.querySelectorAll("#chat [data-testid='bot']");
                    if (b.length) window.seen.push(b[b.length - 1].innerText); })
                  .observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true}); }"""
            )
            final = ask(page, "我们想在高新区建个厂，年度供地里有多少是给工业项目的？")
            seen = page.evaluate("window.seen")
        finally:
            page.context.close()
            app.stop()
    assert model.requests, "the model was asked"
    assert any("正在检索条款" in t for t in seen), seen  # a generated answer takes time: "thinking" first
    assert any("不低于1/3用于工业项目【第一条】" in t for t in seen), seen  # streamed, sentence by sentence
    assert not any("30万" in t or "50%" in t for t in seen)
    assert "30万" not in final and "【第一条 强化工业用地保障】" in final
