"""The web page's event handlers called as Gradio calls them, with the values a stale page or a crafted
request can send: no handler raises, nothing wrong is logged. (The browser tests cover the happy path.)"""

from __future__ import annotations

import json
from types import SimpleNamespace

import gradio as gr
import pytest

from assistant.web.app import COPY_JS
from assistant.web.pages.base import AppContext
from assistant.web.pages.chat import ChatPage
from assistant.web.profile import page_titles, starter_examples
from assistant.web.state import Conversation, Rating


class Backend:
    """The session's real Assistant behind the page (what Service hands the page once it is ready)."""

    def __init__(self, assistant, settings):
        self._a, self.settings = assistant, settings
        self.notices, self.profiles = assistant.notices, assistant.profiles

    def ready(self):
        return True

    def assistant(self):
        return self._a

    def today(self):
        return self._a.today()

    def state(self, n):
        return self._a.state(n)


@pytest.fixture()
def chat(assistant, settings, tmp_path):
    backend = Backend(assistant, settings.with_(feedback_log=tmp_path / "feedback.jsonl", feedback_rate=3))
    with gr.Blocks() as blocks:
        ctx = AppContext(
            blocks=blocks,
            backend=backend,
            titles=page_titles(backend.profiles),
            examples=starter_examples(backend.profiles),
            copy_js=COPY_JS,
            conv=gr.State(Conversation()),
            lang=gr.State("zh"),
            doc=gr.State(""),
            current=gr.BrowserState(None),
            earlier=gr.BrowserState([]),
        )
        page = ChatPage(ctx)
        page.on_register_events()
    return page


def answered(page: ChatPage) -> Conversation:
    conv = Conversation()
    list(page.respond("园区招商方面有什么措施？", conv, "zh"))
    assert len(conv.turns) == 1
    return conv


def logged(page: ChatPage) -> list[dict]:
    path = page.ctx.backend.settings.feedback_log
    return [json.loads(ln) for ln in path.read_text().splitlines()] if path.exists() else []


def like(index, liked=True):
    return gr.LikeData(None, {"index": index, "value": "", "liked": liked})


CLIENT = SimpleNamespace(client=SimpleNamespace(host="10.1.2.3"))


def test_a_comment_without_a_rating_is_ignored(chat):
    conv = answered(chat)
    assert chat.feedback.send_comment("很好", conv, "zh", CLIENT) == {}
    assert chat.feedback.send_comment(None, conv, "zh", CLIENT) == {}
    stale = Conversation()
    stale.feedback = Rating(answer=5, rating="up")  # a rating of an answer this conversation does not have
    assert chat.feedback.send_comment("很好", stale, "zh", CLIENT) == {}
    assert logged(chat) == []


@pytest.mark.parametrize("index", [None, -1, 99, "1", [], [99, 0], True, 1.5])
def test_rating_a_message_that_does_not_exist_is_ignored(chat, index):
    conv = answered(chat)
    assert chat.feedback.rate(conv, "zh", like(index), CLIENT) == {}
    assert conv.feedback is None and logged(chat) == []


@pytest.mark.parametrize("liked", ["x" * 100_000, "61010419900307123X", None, 3])
def test_a_rating_the_buttons_cannot_send_is_not_logged(chat, liked):
    conv = answered(chat)
    assert chat.feedback.rate(conv, "zh", like(1, liked), CLIENT) == {}
    assert logged(chat) == []


def test_a_real_rating_and_comment_are_logged_within_the_clients_rate(chat):
    conv = answered(chat)
    shown = chat.feedback.rate(conv, "zh", like(1, False), CLIENT)
    assert shown[chat.feedback.box]["visible"] is True
    chat.feedback.send_comment("请打13812345678联系我", conv, "zh", CLIENT)
    first, second = logged(chat)
    assert first["rating"] == second["rating"] == "down" and "13812345678" not in second["comment"]
    for _ in range(5):  # feedback_rate=3 per minute: the rest is dropped, the page keeps working
        chat.feedback.rate(conv, "zh", like(1, True), CLIENT)
    assert len(logged(chat)) == 3


@pytest.mark.parametrize("index", [None, -1, 99, "0", True])
def test_selecting_or_picking_what_does_not_exist_shows_the_first_citation(chat, index):
    conv = answered(chat)
    panel = chat.pick_citation(index, conv, "zh")
    assert "第四条" in panel
    assert chat.select_message(conv, "zh", gr.SelectData(None, {"index": index, "value": ""})) == {}


def test_the_page_load_restore_never_draws_over_a_conversation_under_way(chat):
    """The first question can be answered before the page's load event has run (the server was still
    starting): restoring then must keep the answer, and only open the question box."""
    conv = answered(chat)
    stored_elsewhere = Conversation().to_json()
    out = chat.restore(conv, stored_elsewhere, [], "zh")
    assert chat.chatbot not in out and chat.ctx.conv not in out
    assert out[chat.question]["interactive"] is True and out[chat.send]["interactive"] is True


def test_the_page_load_restore_puts_back_the_stored_conversation_and_opens_the_box(chat):
    stored = answered(chat)
    out = chat.restore(Conversation(), stored.to_json(), [], "zh")
    assert out[chat.ctx.conv].turns[0].question == stored.turns[0].question
    assert out[chat.question]["interactive"] is True
