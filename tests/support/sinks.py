"""Local receivers for the fielding tests and benchmarks: a real SMTP server and an HTTP sink.

``SmtpSink`` is aiosmtpd's SMTP server on 127.0.0.1 (a free port), keeping every
message it accepted; ``drop`` makes it close the connection in the middle of the
next messages' DATA (the client never gets a reply, the message is not kept) and
``reply`` makes it answer DATA with a given code; ``after_data(n)`` is called with the count
of messages kept so far, before the reply.  ``HttpSink`` is http.server in a
thread, keeping each POST (path, headers, body); ``status`` sets the answer,
``hang`` makes it wait that many seconds before answering, and ``stop()`` /
``start()`` take it down and up again on the same port.  It answers HTTP/1.0 (a connection per
request) unless made with ``keep_alive=True``: HTTP/1.1, a client's connection kept open across
requests, as a real SMS gateway keeps it (the worker benchmark; ``stop()`` does not end connections
already open, so the tests of a receiver going down use the default).
"""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.sink.lock:
            if self.sink.drop > 0:
                self.sink.drop -= 1
                self.sink.dropped += 1
                server.transport.close()
                return "421 connection dropped"
            if self.sink.reply is not None:
                return self.sink.reply
            mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.sink.messages.append((list(envelope.rcpt_tos), mail))
            count = len(self.sink.messages)
        if self.sink.after_data is not None:
            self.sink.after_data(count)  # the message is taken in; the client has no reply yet
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.drop = 0
        self.dropped = 0
        self.reply: str | None = None
        self.after_data: Callable[[int], None] | None = None
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for _, m in self.messages]

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class HttpSink:
    def __init__(self, port: int | None = None, *, keep_alive: bool = False) -> None:
        self.port = port or free_port()
        self.keep_alive = keep_alive
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.hang = 0.0
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[Any]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if r["status"] < 300]

    def start(self) -> HttpSink:
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if self.keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True  # the body is a second write: not held back for the headers' ACK

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                if sink.hang:
                    time.sleep(sink.hang)
                status = sink.status
                with sink.lock:
                    sink.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "status": status}
                    )
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the hang case)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
