"""Typed errors with machine-readable codes (the contract puts `code` into its error objects)."""

from __future__ import annotations


class PolicyError(Exception):
    """Base class: `code` names the problem for programs, the message explains it to people."""

    code = "error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidQuestion(PolicyError, ValueError):
    """The question or history cannot be answered as given. The message (Chinese, then English) says
    why; `code` ("empty", "not_string", "too_long", "history", "bad_request") and `limit` let a UI word it
    its own way."""

    code = "invalid"

    def __init__(self, message: str, code: str = "invalid", limit: int | None = None):
        super().__init__(message, code)
        self.limit = limit


class SettingsError(PolicyError, ValueError):
    """An environment variable or setting has a value that cannot be used (the message names it)."""

    code = "settings"


class CorpusError(PolicyError):
    """The corpus cannot be read or holds no notice (the message names the file or folder)."""

    code = "corpus"


class NotReady(PolicyError):
    """The assistant is still starting (or could not start): a server answers 503 meanwhile."""

    code = "not_ready"


class BuildError(PolicyError):
    """Writing a new index version failed; the version being served is untouched."""

    code = "index_build"
