"""The web desk (issue 13) in a real browser: the validity bar in view and coloured by the state of the
notice, contrast of every visible text in light and under a dark system preference, sources folded under
each answer, "读给来电人" and the chat's copy icon, keyboard use, page hygiene, conversations kept in the
browser, the notice picker over two notices, stable element ids and screenshots of three views.

Three servers (`policy-assistant serve` as a subprocess, see test_ui_browser.App): 2026-12-01 (the notice
is 即将到期) for most tests, 2027-01-15 (已失效), and 2026-06-01 (现行有效) over a corpus of two notices
(the seed and a made-up one) for the notice picker. Every test asserts what a user sees.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import BROWSER_ARGS, CHROMIUM, OUTPUT, SEED, made_up
from .test_ui_browser import BOT, USER, App, ask, index_dir  # noqa: F401  (index_dir: the module's index)

SHOTS = OUTPUT / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} missing: run `make browser` (apt-get install chromium fonts-noto-cjk)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")

DOC = "市政办发〔2023〕31号"
UNTIL = "2026年12月31日"
QUESTION = "园区招商方面有什么措施？"  # answered from 第四条
TEA_DOC = "某政发〔2024〕7号"
TEA = made_up(
    TEA_DOC,
    "茶叶产业",
    [
        "支持茶园标准化建设。对新建标准化茶园给予每亩800元补助。（责任单位：市农业农村局）",
        "支持茶叶品牌推广。对获得国家级茶叶品牌认定的企业给予一次性奖励5万元。（责任单位：市市场监管局）",
    ],
    closing="本措施自印发之日起施行，有效期至2028年2月29日。",
)
CJK = re.compile(r"[\u4e00-\u9fff]")

# (name, viewport width, height, colour scheme, phone)
VIEWS = [
    ("1366-light", 1366, 768, "light", False),
    ("1366-dark", 1366, 768, "dark", False),
    ("390-phone", 390, 844, "light", True),
]


def clause_text(number_cn: str) -> str:
    """The text of a measure of the seed notice as published (the line "四、…")."""
    line = next(x for x in SEED.read_text(encoding="utf-8").splitlines() if x.startswith(f"{number_cn}、"))
    return line[len(number_cn) + 1 :]


# --- servers, browser, pages ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def desk(tmp_path_factory, index_dir) -> Iterator[App]:  # noqa: F811
    """The seed notice ends on 2026-12-31: on 2026-12-01 it is 即将到期."""
    a = App(tmp_path_factory.mktemp("desk"), index_dir, today="2026-12-01")
    yield a
    a.stop()


@pytest.fixture(scope="module")
def expired(tmp_path_factory, index_dir) -> Iterator[App]:  # noqa: F811
    a = App(tmp_path_factory.mktemp("desk-expired"), index_dir, today="2027-01-15")
    yield a
    a.stop()


@pytest.fixture(scope="module")
def two_notices(tmp_path_factory, index_dir) -> Iterator[App]:  # noqa: F811
    """On 2026-06-01, over the seed and a made-up tea notice (its own corpus and index; the embedder's
    cache is linked from the module's index so that only the two notices are embedded)."""
    tmp = tmp_path_factory.mktemp("desk-two")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "tea-2024.txt").write_text(TEA, encoding="utf-8")
    index = tmp / "index"
    (index / "cache").mkdir(parents=True)
    for f in (index_dir / "cache").iterdir():
        shutil.copy(f, index / "cache" / f.name)
    a = App(tmp, index, today="2026-06-01", POLICY_CORPUS_DIR=str(corpus))
    deadline = time.monotonic() + 120  # the page is served before the index of the new corpus is built
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(a.url + "readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        a.stop()
        pytest.fail(f"the two-notice server was not ready:\n{a.out.read_text(errors='replace')}")
    yield a
    a.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


def open_desk(browser, app: App, width: int = 1366, height: int = 768, scheme: str = "light", phone: bool = False):
    """A fresh browser session on the app in the given view, clipboard allowed; waits for the bar."""
    options = dict(viewport={"width": width, "height": height}, locale="zh-CN", color_scheme=scheme)
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=1)
    ctx = browser.new_context(**options)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url.rstrip("/"))
    page = ctx.new_page()
    page.goto(app.url, wait_until="load")
    page.wait_for_selector("#validity-banner .banner")
    page.wait_for_selector("#question textarea")  # the bar is drawn first: wait for the chat as well
    return page


@pytest.fixture
def page(browser, desk):
    p = open_desk(browser, desk)
    yield p
    p.context.close()


def save_shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)
    page.wait_for_timeout(400)  # let CSS transitions settle
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_focus_back(page, timeout: float = 5000) -> None:
    """The answer is saved in the browser, then the focus goes back to the question box (the last step
    after an answer): wait for it, or fail saying where the focus is."""
    try:
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.matches('#question textarea')", timeout=timeout
        )
    except sync_api.TimeoutError:
        where = page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : null")
        pytest.fail(f"the focus did not come back to #question textarea after the answer; it is on: {where}")


def banner_rect(page) -> dict:
    return page.evaluate(
        """() => { const r = document.querySelector('#validity-banner').getBoundingClientRect();
                   return {top: r.top, bottom: r.bottom, height: r.height, vh: window.innerHeight,
                           scroll: window.scrollY}; }"""
    )


def assert_bar_in_view(page, when: str) -> None:
    r = banner_rect(page)
    assert r["height"] > 0 and r["top"] >= 0 and r["bottom"] <= r["vh"], f"validity bar out of view {when}: {r}"


# --- 1. the validity bar in view, in three views --------------------------------------------------
@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
def test_validity_bar_stays_in_view_and_is_amber_before_the_end(browser, desk, view) -> None:
    name, width, height, scheme, phone = view
    page = open_desk(browser, desk, width, height, scheme, phone)
    try:
        assert_bar_in_view(page, f"on load ({name})")
        amber = page.locator("#validity-banner .banner-expiring")
        assert amber.count() == 1, page.locator("#validity-banner").inner_html()
        assert "即将到期" in amber.inner_text() and UNTIL in amber.inner_text()
        ask(page, QUESTION)
        wait_focus_back(page)  # the page scrolls to the question box
        page.wait_for_timeout(400)
        assert_bar_in_view(page, f"after an answer ({name})")
    finally:
        page.context.close()


def test_validity_bar_green_in_force(browser, two_notices) -> None:
    page = open_desk(browser, two_notices)
    try:
        ok = page.locator("#validity-banner .banner-ok").filter(has_text=DOC)
        assert ok.count() == 1, page.locator("#validity-banner").inner_html()
        assert "现行有效" in ok.inner_text() and UNTIL in ok.inner_text()
        assert page.locator("#validity-banner .banner-expiring, #validity-banner .banner-expired").count() == 0
    finally:
        page.context.close()


def test_validity_bar_red_after_the_end(browser, expired) -> None:
    page = open_desk(browser, expired)
    try:
        red = page.locator("#validity-banner .banner-expired")
        assert red.count() == 1, page.locator("#validity-banner").inner_html()
        assert "已失效" in red.inner_text() and UNTIL in red.inner_text()
        assert_bar_in_view(page, "on load (expired)")
    finally:
        page.context.close()


# --- 2. contrast of every visible text ------------------------------------------------------------
CONTRAST_JS = """() => {
  const parse = (s) => {
    const m = s && s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {  // the element's and its ancestors' backgrounds blended; the root is white
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const seen = (el) => {  // what the user can see: a box, visible, not transparent, not screen-reader only
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    if (getComputedStyle(el).visibility !== "visible") return false;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || parseFloat(s.opacity) === 0) return false;
      if (e.classList.contains("sr-only") || s.clip === "rect(0px, 0px, 0px, 0px)") return false;
    }
    return true;
  };
  const rgb = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(", ")})`;
  const fails = [];
  let checked = 0;
  const check = (what, fgCss, bg) => {
    checked++;
    const fg = over(parse(fgCss), bg);
    const r = ratio(fg, bg);
    if (r < 4.5) fails.push([what, rgb(fg), rgb(bg), Math.round(r * 100) / 100]);
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"].includes(el.tagName)) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text || !seen(el)) continue;
    const cls = typeof el.className === "string" ? el.className.replace(/svelte-\\w+/g, "").trim() : "";
    check(`${text.slice(0, 30)} <${el.tagName.toLowerCase()}${cls ? " ." + cls : ""}>`, getComputedStyle(el).color,
          background(el));
  }
  const ta = document.querySelector("#question textarea");
  if (ta && ta.placeholder && !ta.value && seen(ta))
    check(`placeholder「${ta.placeholder.slice(0, 20)}」`, getComputedStyle(ta, "::placeholder").color, background(ta));
  return {checked, fails};
}"""


def contrast(page) -> tuple[int, list]:
    page.mouse.move(1, 1)  # no hover state
    page.wait_for_timeout(300)
    r = page.evaluate(CONTRAST_JS)
    return r["checked"], [tuple(f) for f in r["fails"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_visible_text_has_contrast_4_5(browser, desk, scheme) -> None:
    page = open_desk(browser, desk, scheme=scheme)
    try:
        ask(page, QUESTION)
        page.locator(BOT).last.locator("details.sources summary").click()
        page.wait_for_selector(f"{BOT} details.sources[open] blockquote")
        n_chat, chat_fails = contrast(page)
        page.get_by_role("tab", name="浏览全部措施").click()
        page.wait_for_selector("#browse-table tr.measure")
        page.locator("#browse-table tr.measure details summary").first.click()
        n_browse, browse_fails = contrast(page)
        assert n_chat > 30 and n_browse > 30, (n_chat, n_browse)  # the check saw the page
        fails = [("chat", *f) for f in chat_fails] + [("browse", *f) for f in browse_fails]
        listing = "\n".join(f"  [{tab}] {what}: {fg} on {bg} = {r}" for tab, what, fg, bg, r in fails)
        assert not fails, f"{len(fails)} text(s) below 4.5:1 ({scheme} preference):\n{listing}"
    finally:
        page.context.close()


# --- 3. a deliberate light theme ------------------------------------------------------------------
def test_dark_preference_still_shows_the_light_page(browser, desk) -> None:
    from PIL import Image, ImageChops

    looks, shots = {}, {}
    for scheme in ("light", "dark"):
        page = open_desk(browser, desk, scheme=scheme)
        try:
            ask(page, QUESTION)
            wait_focus_back(page)
            page.evaluate("window.scrollTo(0, 0)")
            shots[scheme] = save_shot(page, f"desk-scheme-{scheme}")
            looks[scheme] = page.evaluate(
                """() => ({cls: [...document.body.classList],
                           app: getComputedStyle(document.querySelector('gradio-app')).backgroundColor,
                           text: getComputedStyle(document.querySelector('#header')).color,
                           prefersDark: matchMedia('(prefers-color-scheme: dark)').matches,
                           height: document.documentElement.scrollHeight})"""
            )
        finally:
            page.context.close()
    assert looks["dark"]["prefersDark"] is True and looks["light"]["prefersDark"] is False
    assert "dark" not in looks["dark"]["cls"], looks["dark"]
    for key in ("app", "text", "height"):  # what covers the window, the text colour, the layout
        assert looks["dark"][key] == looks["light"][key], (key, looks)
    light, dark = (Image.open(shots[s]).convert("RGB") for s in ("light", "dark"))
    assert light.size == dark.size, (light.size, dark.size)
    diff = ImageChops.difference(light, dark).convert("L").point(lambda v: 255 if v > 24 else 0)
    changed = sum(diff.histogram()[255:]) / (light.size[0] * light.size[1])
    assert changed < 0.005, f"{changed:.2%} of the pixels differ between {shots['light']} and {shots['dark']}"


# --- 4. sources under each answer -----------------------------------------------------------------
def test_sources_are_folded_under_the_answer(page) -> None:
    ask(page, QUESTION)
    sources = page.locator(BOT).last.locator("details.sources")
    assert sources.count() == 1
    assert sources.get_attribute("open") is None, "the sources block starts collapsed"
    assert not sources.locator("blockquote").is_visible()
    sources.locator("summary").click()
    page.wait_for_selector(f"{BOT} details.sources[open] blockquote", state="visible")
    text = sources.inner_text()
    assert "第四条" in sources.locator(".src-head").first.inner_text()
    clause = clause_text("四")
    quote = sources.locator("blockquote").first.inner_text().strip()
    sentences = [s + "。" for s in quote.split("。") if s.strip()]
    assert sentences and all(s in clause for s in sentences), (quote, clause)
    assert "责任单位" in text and DOC in text
    assert "有效期" in text and UNTIL in text and "即将到期" in text


def test_sources_come_right_after_the_answer_on_a_phone(browser, desk) -> None:
    page = open_desk(browser, desk, 390, 844, phone=True)
    try:
        ask(page, QUESTION)
        wait_focus_back(page)
        sources = page.locator(BOT).last.locator("details.sources")
        sources.locator("summary").click()
        tops = page.evaluate(
            """() => ({sources: [...document.querySelectorAll("#chat [data-testid='bot'] details.sources")].pop()
                                   .getBoundingClientRect().top,
                       question: document.querySelector('#question').getBoundingClientRect().top})"""
        )
        assert tops["sources"] < tops["question"], tops
    finally:
        page.context.close()


# --- 5. 读给来电人 and the chat's copy icon -----------------------------------------------------------
def check_readout(text: str) -> None:
    assert text and "> " not in text and "<" not in text and "**" not in text, repr(text)
    lines = text.splitlines()
    assert lines[0].startswith("第四条") and lines[0].endswith(f"（{DOC}）"), lines
    said = [x for x in lines if x.startswith("原文：")]
    assert said and all(x.removeprefix("原文：").split("。")[0] in clause_text("四") for x in said), lines
    assert any(x.startswith("责任单位：") and "市投资局" in x for x in lines), lines
    assert any(x.startswith("有效期：") and UNTIL in x for x in lines), lines


def test_read_out_and_copy_icon_copy_plain_text(page) -> None:
    ask(page, QUESTION)
    page.evaluate("navigator.clipboard.writeText('')")
    page.click("#readout")
    page.wait_for_function("document.querySelector('#status').innerText.includes('已复制')")
    readout = page.evaluate("navigator.clipboard.readText()")
    check_readout(readout)
    page.evaluate("navigator.clipboard.writeText('')")
    # Gradio's copy icon in the button row under the last answer (the user's own row is hidden by style.css)
    icon = page.locator(
        "#chat .message-buttons-left button[aria-label='Copy message'], "
        "#chat .message-buttons-left button[aria-label='复制']"
    ).last
    icon.click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()).length > 0", timeout=5000)
    assert page.evaluate("navigator.clipboard.readText()") == readout


# --- 6. keyboard ----------------------------------------------------------------------------------
def test_keyboard_send_focus_and_line_break(page) -> None:
    ask(page, QUESTION)  # by clicking #send
    wait_focus_back(page)
    n = page.locator(BOT).count()
    page.keyboard.type("第一行")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("第二行")
    page.wait_for_timeout(800)
    assert page.input_value("#question textarea") == "第一行\n第二行"
    assert page.locator(BOT).count() == n, "Shift+Enter sent the question"
    page.fill("#question textarea", "企业融资方面有哪些支持？")
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n && !document.querySelector('#send').disabled",
        arg=[BOT, n],
    )
    assert "第九条" in page.locator(BOT).last.inner_text()
    assert page.locator(USER).last.inner_text().strip() == "企业融资方面有哪些支持？"


# --- 7. page hygiene ------------------------------------------------------------------------------
def test_page_language_footer_docs_and_emoji_question(page, desk) -> None:
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    footers = page.locator("footer")
    assert all(not footers.nth(i).is_visible() for i in range(footers.count())), "a footer is visible"
    with urllib.request.urlopen(desk.url + "docs", timeout=10) as r:
        assert r.status == 200
    reply = ask(page, "😀👍")
    assert CJK.search(reply), f"the reply to an emoji-only question on the Chinese page is not Chinese: {reply!r}"
    page.locator("#lang").get_by_text("English", exact=True).click()
    page.wait_for_function("document.querySelector('#send').innerText.trim() === 'Send'", timeout=10000)
    try:
        page.wait_for_function("document.documentElement.lang === 'en'", timeout=5000)
    except sync_api.TimeoutError:
        lang = page.evaluate("document.documentElement.lang")
        pytest.fail(f"the page is in English (#send reads 'Send') but <html lang> is {lang!r}, not 'en'")


# --- 8. conversations kept in the browser ---------------------------------------------------------
def test_conversation_survives_a_reload_and_can_be_reopened(page) -> None:
    answer = ask(page, QUESTION)
    wait_focus_back(page)  # the last step after the answer is saved in the browser
    page.reload(wait_until="load")
    page.wait_for_selector("#validity-banner .banner")
    page.wait_for_function("sel => document.querySelectorAll(sel).length === 1", arg=BOT, timeout=10000)
    assert page.locator(USER).last.inner_text().strip() == QUESTION
    assert "第四条" in page.locator(BOT).last.inner_text() and "第四条" in answer
    page.click("#new-chat")
    page.wait_for_function("sel => document.querySelectorAll(sel).length === 0", arg=BOT, timeout=10000)
    assert page.locator(USER).count() == 0
    page.locator("#history input").click()
    option = page.get_by_role("option", name=QUESTION)
    option.wait_for(timeout=5000)
    option.click()
    page.wait_for_function("sel => document.querySelectorAll(sel).length === 1", arg=BOT, timeout=10000)
    assert page.locator(USER).last.inner_text().strip() == QUESTION
    assert "第四条" in page.locator(BOT).last.inner_text()


# --- 9. the notice picker -------------------------------------------------------------------------
def picker_options(page) -> list[str]:
    page.locator("#notice-picker input").click()
    page.get_by_role("option").first.wait_for(timeout=5000)
    # the selected option carries a ✓ before its label
    return [re.sub(r"^\s*✓\s*", "", o).strip() for o in page.get_by_role("option").all_inner_texts()]


def test_notice_picker_lists_all_and_the_notice(page) -> None:
    assert page.locator("#notice-picker").count() == 1
    assert page.input_value("#notice-picker input") == "全部通知"
    options = picker_options(page)
    assert options[0] == "全部通知" and any(DOC in o for o in options), options
    assert len(options) == 2, options


def test_notice_picker_narrows_bar_browse_and_answers(browser, two_notices) -> None:
    page = open_desk(browser, two_notices)
    try:
        rows = page.locator("#validity-banner .banner")
        assert rows.count() == 2, page.locator("#validity-banner").inner_html()  # one line per notice
        assert DOC in rows.nth(0).inner_text() + rows.nth(1).inner_text()
        assert TEA_DOC in rows.nth(0).inner_text() + rows.nth(1).inner_text()
        options = picker_options(page)
        assert options[0] == "全部通知" and len(options) == 3, options
        page.get_by_role("option").filter(has_text=TEA_DOC).click()
        page.wait_for_function("() => document.querySelectorAll('#validity-banner .banner').length === 1")
        assert TEA_DOC in rows.first.inner_text() and DOC not in rows.first.inner_text()
        page.get_by_role("tab", name="浏览全部措施").click()
        page.wait_for_function("() => document.querySelectorAll('#browse-table tr.measure').length === 2")
        docs = {r.get_attribute("data-doc") for r in page.locator("#browse-table tr.measure").all()}
        assert docs == {"tea-2024"}, docs
        assert "茶园" in page.locator("#browse-table").inner_text()
        page.get_by_role("tab", name="政策问答").click()
        reply = ask(page, "新建标准化茶园有什么补助？")
        assert TEA_DOC in reply and "800元" in reply, reply
        assert DOC not in reply, reply
    finally:
        page.context.close()


# --- 10. stable element ids -----------------------------------------------------------------------
def test_stable_element_ids(page) -> None:
    ask(page, QUESTION)
    missing = [
        i
        for i in ("validity-banner", "question", "send", "sources", "notice-picker")
        if page.locator(f"#{i}").count() == 0
    ]
    assert not missing, f"no element with id: {missing}"
    # the sources block of the latest answer carries the id, once
    assert page.locator("#sources").count() == 1
    assert page.locator(BOT).last.locator("#sources").count() == 1


# --- 11. screenshots of the three views -----------------------------------------------------------
@pytest.mark.parametrize("view", VIEWS, ids=[v[0] for v in VIEWS])
def test_screenshots_of_the_three_views(browser, desk, view) -> None:
    name, width, height, scheme, phone = view
    page = open_desk(browser, desk, width, height, scheme, phone)
    try:
        ask(page, QUESTION)
        wait_focus_back(page)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky bar in its place at the top of the full page
        path = save_shot(page, f"desk-{name}")
        assert path.stat().st_size > 10_000
    finally:
        page.context.close()
