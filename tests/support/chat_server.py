"""A stand-in OpenAI-compatible chat server on 127.0.0.1 for ``--backend api`` tests.

Every ``POST .../chat/completions`` gets the same judgment back; the request bodies are kept in
``FakeChatServer.seen``. :func:`serving` starts it on a free loopback port and shuts it down on exit.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer


class FakeChatServer(BaseHTTPRequestHandler):
    """Answers every chat request with :attr:`answer`."""

    answer = "<think>简短推理</think><answer>容留他人吸毒罪 | 7</answer>"
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChatServer.seen.append(body)
        payload = {"id": "x", "object": "chat.completion", "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": self.answer}}]}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(answer: str | None = None) -> Iterator[str]:
    """The server's base URL (``http://127.0.0.1:PORT/v1``) while the block runs; ``answer`` replaces the
    default reply."""
    handler = FakeChatServer if answer is None else type("OtherAnswer", (FakeChatServer,), {"answer": answer})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
