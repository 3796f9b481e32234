"""The assistant a long-running process serves (the HTTP API and the web UI share one).

It starts the Assistant in the background, so a server can listen while the index opens, and follows the
index version: when a build — this process's `reindex()`, `policy-assistant index` in another process, or
another replica sharing the Chroma server — points the index at a new version, a fresh Assistant is made
from it beside the serving one and swapped in once ready. A question is always answered by one complete
Assistant, old or new, never by one half-switched."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import date

from .answering import Composer
from .assistant import Assistant
from .corpus import load_notices
from .errors import InvalidQuestion, NotReady
from .lexicon import read_profiles
from .records import Answer, Notice
from .settings import Settings
from .store import IndexChange

log = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Settings, *, warm_up: bool = True, follow: bool = True, exit_on_failure: bool = True):
        """follow: poll the index pointer every settings.server.poll_seconds and reload on a change.
        exit_on_failure: a process whose Assistant cannot be built exits (as if it had failed before
        serving) instead of listening without answers."""
        self.settings = settings
        # The page can be drawn from the parsed notices (milliseconds) while the index opens.
        self.notices: list[Notice] = load_notices(settings.corpus_dir)
        self.profiles: dict[str, dict] = read_profiles(settings.corpus_dir, self.notices)
        self._composer = Composer(self.notices)  # validity states before the Assistant is ready
        self._assistant: Assistant | None = None
        self._ready = threading.Event()
        self._reload_lock = threading.Lock()  # one reload or reindex at a time
        self._stop = threading.Event()
        self._warm = warm_up
        self.failed: str | None = None
        self.reloads = 0
        threading.Thread(
            target=self._start, args=(exit_on_failure, follow), name="assistant-start", daemon=True
        ).start()

    # --- state -------------------------------------------------------------------------------
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> Assistant:
        """The serving Assistant, waiting up to `timeout` seconds for the first one (NotReady after)."""
        if not self._ready.wait(timeout):
            raise NotReady(self.failed or "the assistant is still starting / 正在启动，请稍候")
        assert self._assistant is not None
        return self._assistant

    def assistant(self) -> Assistant:
        return self.wait()

    @property
    def version(self) -> str | None:
        a = self._assistant
        return a.store.version if a is not None else None

    def today(self) -> date:
        return self.settings.clock()

    def state(self, n: Notice) -> str:
        """in_force / expiring (within 60 days of its end) / expired / repealed / no_expiry, as of today."""
        return self._composer.state(n, self.today())

    def close(self) -> None:
        self._stop.set()

    # --- answering ---------------------------------------------------------------------------
    def ask(
        self,
        question: object,
        history: object = None,
        doc: str | None = None,
        timeout: float | None = None,
        lang: str | None = None,
    ) -> Answer:
        a = self.wait(timeout)
        try:
            return a.ask(question, history, doc, lang)
        except InvalidQuestion:
            raise
        except Exception:
            # The version this Assistant reads may have been dropped by builds elsewhere before the poll
            # noticed: reload now and answer once more from the current version.
            if not self.check_version():
                raise
            log.warning("answered again from the new index version %s", self.version)
            return self.wait().ask(question, history, doc, lang)

    def ask_stream(
        self, question: object, history: object = None, doc: str | None = None, lang: str | None = None
    ) -> Iterator[tuple[str, Answer | None]]:
        return self.wait().ask_stream(question, history, doc, lang)

    # --- index versions ----------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        """Is the index served from a read-only folder (served as built; reindex() cannot build)?"""
        a = self._assistant
        return a is not None and a.store.read_only

    def reindex(self, rebuild: bool = False) -> IndexChange:
        """Build a new index version from the corpus as it is now (only if it changed, unless rebuild),
        switch to it, and serve it. The serving Assistant answers throughout."""
        with self._reload_lock:
            old = self.wait()
            fresh = Assistant(self.settings, rebuild=rebuild, embeddings=old.embeddings)
            self._swap(fresh)
            return fresh.index_change

    def check_version(self) -> bool:
        """Reload when the index pointer names another version than the one served; True if it did."""
        a = self._assistant
        if a is None:
            return False
        current = a.store.current_version()
        if current is None or current == a.store.version:
            return False
        with self._reload_lock:
            a = self._assistant
            assert a is not None
            if a.store.current_version() == a.store.version:
                return False  # another thread reloaded meanwhile
            log.info("index version changed (%s → %s): reloading", a.store.version, current)
            self._swap(Assistant(self.settings, build=False, embeddings=a.embeddings))
            return True

    def _swap(self, fresh: Assistant) -> None:
        if self._warm:
            self._warm_up(fresh)
        self._assistant = fresh  # one reference assignment: a question sees the old or the new one
        self.notices, self.profiles, self._composer = fresh.notices, fresh.profiles, fresh.composer
        self.reloads += 1
        log.info("serving index version %s (%d notices)", fresh.store.version, len(fresh.notices))

    @staticmethod
    def _warm_up(a: Assistant) -> None:
        try:  # answer one question so that the first caller does not pay for lazy initialisation
            a.warm_up()
        except Exception:
            log.exception("warm-up failed")

    def _start(self, exit_on_failure: bool, follow: bool) -> None:
        try:
            a = Assistant(self.settings)
        except Exception as exc:
            log.critical("the assistant could not start", exc_info=True)
            self.failed = f"the assistant could not start: {type(exc).__name__}: {exc}"
            if exit_on_failure:
                os._exit(1)
            return
        if a.notices != self.notices:
            log.info("the corpus changed while starting; serving it as the index was opened")
        if self._warm:
            self._warm_up(a)
        self._assistant = a
        self.notices, self.profiles = a.notices, a.profiles
        self._ready.set()
        log.info("assistant ready (index version %s)", a.store.version)
        if follow:
            self._follow()

    def _follow(self) -> None:
        every = self.settings.server.poll_seconds
        while every > 0 and not self._stop.wait(every):
            try:
                self.check_version()
            except Exception:
                log.exception("could not check or load the index version; still serving %s", self.version)
                time.sleep(every)
