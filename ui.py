"""The web UI and the API (kept as a top-level entry point): ``python ui.py [--host …] [--port …] [--today …]``,
the same as ``policy-assistant serve``. The app lives in the package: assistant/api (HTTP) and assistant/web
(the Gradio page mounted at /)."""

import sys

from assistant.cli import main

if __name__ == "__main__":
    main(["serve", *sys.argv[1:]], prog_name="ui.py")
