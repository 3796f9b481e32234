"""The Gradio web front end: a thin shell over ``Assistant.ask`` (chat, citation panel, browse, feedback).

    policy-assistant serve [--host 127.0.0.1] [--port 7860] [--today YYYY-MM-DD]   (API + this page at /)

Everything about a notice (title, 文号, dates, clauses, units) comes from the parsed notices, and the page
title and starter questions from each notice's profile (corpus/<doc_id>.vocab/profile.json); the only
content in this package is the fixed UI wording (strings/zh.json, strings/en.json). Nothing is loaded from
outside the machine: analytics are off, fonts are system fonts, and the app never creates a share link.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio is first imported
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from .app import build_app, mount_ui

__all__ = ["build_app", "mount_ui"]
