"""The Gradio web front end: a thin shell over ``Assistant.ask`` (chat, citation panel, browse, feedback).

    policy-assistant serve [--host 127.0.0.1] [--port 7860] [--today YYYY-MM-DD]   (API + this page at /)

Everything about a notice (title, 文号, dates, clauses, units) comes from the parsed notices, and the page
title and starter questions from each notice's profile (corpus/<doc_id>.vocab/profile.json); the only
content in this package is the fixed UI wording (strings/zh.json, strings/en.json). Nothing is loaded from
outside the machine: analytics are off, fonts are system fonts, and the app never creates a share link.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio is first imported
os.environ.setdefault("HF_HUB_OFFLINE", "1")


class _NoStubWriting(importlib.abc.MetaPathFinder):
    """On every import, Gradio rewrites the type stubs (.pyi) of each of its components, parsing its own
    source files with `ast` to do so: about half of `import gradio` (2-3 s of 5 s here), and the cause of
    "AST constructor recursion depth mismatch" when another thread parses at the same time (CPython 3.11).
    Nothing reads those stubs at run time, so the step is replaced by a no-op as its module loads."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if name != "gradio.component_meta":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            module.create_or_modify_pyi = lambda *args, **kwargs: None  # type: ignore[attr-defined]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "gradio" not in sys.modules:
    sys.meta_path.insert(0, _NoStubWriting())

from .app import build_app, mount_ui  # noqa: E402  (after the import hook above)

__all__ = ["build_app", "mount_ui"]
