"""python -m assistant.web [--host …] [--port …] [--today YYYY-MM-DD]"""

from . import main

main(prog="python -m assistant.web")
