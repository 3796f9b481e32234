"""The web UI (kept as a top-level entry point): ``python ui.py [--host …] [--port …] [--today YYYY-MM-DD]``.

The app itself lives in the package: assistant/web/ (also ``python -m assistant.web`` and
``policy-assistant serve``)."""

from assistant.web import main

if __name__ == "__main__":
    main()
