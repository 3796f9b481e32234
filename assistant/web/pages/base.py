"""What every page or area of the app shares: the app context it is built in and the two-step life cycle
(kotaemon's pages-as-classes): ``on_building_ui`` creates the components when the page is made, inside the
app's ``gr.Blocks``; ``on_register_events`` wires them once every page exists, so a page may update
another's components. A language switch asks each page for ``relabel``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import gradio as gr
from gradio.blocks import Block

from assistant import Assistant, Notice, Settings

from ..profile import Names, names


class Backend(Protocol):
    settings: Settings
    notices: list[Notice]
    profiles: dict[str, dict]

    def ready(self) -> bool: ...  # the Assistant is loaded (assistant() returns at once)

    def assistant(self) -> Assistant: ...

    def today(self) -> date: ...

    def state(self, n: Notice) -> str: ...  # in_force / expiring / expired / repealed / no_expiry


@dataclass
class AppContext:
    """What the pages are built from: the backend, how the notices present themselves, the shared state."""

    blocks: gr.Blocks  # the app being built
    backend: Backend
    titles: dict[str, str]  # page title per language
    examples: dict[str, dict]  # starter-question groups: {key: {label: {zh, en}, questions: [...]}}
    copy_js: str  # the browser-side handler of "copy answer" (static/app.js)
    conv: gr.State  # the conversation (state.Conversation)
    lang: gr.State  # the interface language: "zh" | "en"
    doc: gr.State  # the notice picked (doc_id), "" for all
    current: gr.BrowserState  # kept in the browser: the conversation in progress (Conversation.to_json)
    earlier: gr.BrowserState  # … and the earlier ones, newest first
    _names: tuple = field(default=(None, None), repr=False)  # (profiles, their Names)

    @property
    def notices(self) -> list[Notice]:
        """The notices served now (read on every use: a reindex can change them)."""
        return self.backend.notices

    def picked(self, doc: str | None) -> list[Notice]:
        """The notices a page shows: the picked one, or all."""
        return [n for n in self.notices if n.doc_id == doc] or self.notices if doc else self.notices

    @property
    def names(self) -> Names:
        """English names of measures and units (rebuilt when a reindex brings new profiles)."""
        profiles = self.backend.profiles
        if self._names[0] is not profiles:
            self._names = (profiles, names(profiles))
        return self._names[1]

    def states(self) -> dict[str, str]:
        return {n.doc_id: self.backend.state(n) for n in self.notices}


PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # no page event is part of the public API


class BasePage:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self.on_building_ui()

    def on_building_ui(self) -> None:
        raise NotImplementedError

    def on_register_events(self) -> None:
        pass

    # --- language switch -------------------------------------------------------------------------
    def relabel_inputs(self) -> list[Block]:
        """Components whose current values ``relabel`` needs (e.g. a filter to keep)."""
        return []

    def relabel_outputs(self) -> list[Block]:
        """Every component ``relabel`` may update."""
        return []

    def relabel(self, lang: str, values: dict) -> dict:
        """{component: update} in language ``lang``; ``values`` maps the app's and the pages' relabel
        inputs (and ``ctx.conv``) to their current values."""
        return {}
