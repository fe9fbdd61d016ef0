"""A tiny OpenAI-compatible judge on 127.0.0.1 (stdlib ``http.server`` in a thread), for deterministic tests.

``judge_server(reply)`` serves ``POST /v1/chat/completions``: ``reply(messages)`` returns the reply text, or
an ``int`` HTTP status to refuse the request with (sent with ``retry-after-ms: 1`` so the client's retries
are quick). Every request is recorded in ``server.calls`` (the messages). Replies report token usage.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DISC_REPLY = '{"accuracy": 4, "completeness": 3, "clarity": 5, "reason": "要点基本齐全"}'  # overall 4 -> 0.75


class JudgeServer:
    def __init__(self, httpd: ThreadingHTTPServer):
        self.httpd = httpd
        self.calls: list[list[dict]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


def _handler(server_ref: list[JudgeServer], reply: Callable[[list[dict]], str | int]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet test output
            pass

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 - http.server's spelling
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            messages = request.get("messages") or []
            server = server_ref[0]
            with server.lock:
                server.calls.append(messages)
            answer = reply(messages)
            if isinstance(answer, int):
                self._send(answer, {"error": {"message": "busy", "type": "server_error"}},
                           {"retry-after-ms": "1"})
                return
            self._send(200, {"id": "x", "object": "chat.completion", "created": 0, "model": request.get("model"),
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": answer}}],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}})

    return Handler


@contextlib.contextmanager
def judge_server(reply: Callable[[list[dict]], str | int]) -> Iterator[JudgeServer]:
    ref: list[JudgeServer] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref, reply))
    server = JudgeServer(httpd)
    ref.append(server)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
