"""A tiny OpenAI-protocol server on 127.0.0.1 for the wire tests (no real model, no network).

POST /<mode>/v1/chat/completions, where <mode> picks the behaviour:
  ok        the configured reply: one chat.completion, or SSE chunks ending in `data: [DONE]`
            when the request has "stream": true
  slow      the same after sleeping `delay` seconds (longer than the client's timeout)
  trickle   the reply streamed one character every `delay` / 4 seconds (each read is quick, the whole is not)
  error     HTTP 500 with an OpenAI-style error body
  malformed HTTP 200 whose body is not a chat completion (streaming: a broken SSE line)
Every request is recorded (mode, lower-cased headers, JSON body) in `requests`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class StubOpenAI:
    def __init__(self, reply: str = "", delay: float = 3.0):
        self.reply = reply
        self.delay = delay
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                parts = self.path.strip("/").split("/")
                mode = parts[0] if parts[1:] == ["v1", "chat", "completions"] else "unknown"
                stub.requests.append(
                    {"mode": mode, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                try:
                    stub.respond(self, mode, body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/v1"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- responses -------------------------------------------------------------------------------
    def respond(self, h: BaseHTTPRequestHandler, mode: str, body: dict) -> None:
        if mode == "slow":
            time.sleep(self.delay)
        if mode == "error":
            return self._send(h, 500, {"error": {"message": "model crashed", "type": "server_error"}})
        if mode == "malformed":
            if body.get("stream"):
                return self._sse(h, ['data: {"choices": [{"delta": {"content": "没有结尾'])
            return self._send(h, 200, "<html>502 bad gateway</html>")
        if mode not in ("ok", "slow", "trickle"):
            return self._send(h, 404, {"error": {"message": f"no route {h.path}"}})
        model = body.get("model", "stub")
        if not body.get("stream"):
            return self._send(
                h,
                200,
                {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
        size = 1 if mode == "trickle" else 4
        pieces = [self.reply[i : i + size] for i in range(0, len(self.reply), size)]
        events = []
        for i, piece in enumerate(pieces + [None]):
            delta = {} if piece is None else ({"role": "assistant", "content": piece} if i == 0 else {"content": piece})
            events.append(
                "data: "
                + json.dumps(
                    {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if piece is None else None}],
                    },
                    ensure_ascii=False,
                )
            )
        self._sse(h, events + ["data: [DONE]"], pause=self.delay / 4 if mode == "trickle" else 0.01)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: dict | str) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _sse(h: BaseHTTPRequestHandler, events: list[str], pause: float = 0.01) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        for event in events:
            h.wfile.write((event + "\n\n").encode())
            h.wfile.flush()
            time.sleep(pause)
        h.close_connection = True


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
