"""HTTP servers for the sandboxes and the live test server: Django's own, with TCP_NODELAY.

Django's development server (runserver, and the tests' `LiveServerThread`) writes a response's
headers and its body in two `send()` calls. On a kept-alive connection (a `requests.Session`
keeps them) Nagle's algorithm holds the body back until the client acknowledges the headers, and
the client delays that acknowledgement by about 40 ms: every request then costs about 40 ms of
idle waiting (measured: 45 ms per request on a kept connection, 3 ms on a fresh one). Production
HTTP servers set TCP_NODELAY on accepted sockets; so do these.

- `NoDelayWSGIServer` / `NoDelayThreadedWSGIServer`: the server classes, for
  `django.core.servers.basehttp.run(server_cls=...)` and `LiveServerThread.server_class`;
- `SandboxServer`: the sandboxes only (no middleware, no session, no login: no database), served
  from a thread of this process, so that tests share the simulators' in-process state with it.
  The tests start one per session (the `sandbox_server` fixture); a test that needs the app
  itself over HTTP (callbacks, the browser) uses `live_server`.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Any

from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, WSGIServer

SANDBOX_URLCONF = "integrations.sandbox.urls"


class NoDelayMixin(socketserver.TCPServer):
    # Django's servers keep a listen backlog of 10: a burst of clients connecting at once (the
    # callback burst test's 64) on a busy machine overflows it and connections are reset.
    request_queue_size = 128

    def get_request(self):
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address


class NoDelayWSGIServer(NoDelayMixin, WSGIServer):
    """runserver's server (basehttp.run makes it threaded) with TCP_NODELAY."""


class NoDelayThreadedWSGIServer(NoDelayMixin, ThreadedWSGIServer):
    """The live test server's (LiveServerThread.server_class) with TCP_NODELAY."""


class SandboxHandler(WSGIHandler):
    """Django's WSGI handler resolving the sandboxes' URLs only, through no middleware."""

    def __init__(self, urlconf: str = SANDBOX_URLCONF):
        self.urlconf = urlconf
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        # BaseHandler's own view-calling step (not in django-stubs), with no middleware around it.
        self._middleware_chain = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]

    def get_response(self, request):
        request.urlconf = self.urlconf
        return BaseHandler.get_response(self, request)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


class SandboxServer:
    """The sandboxes over real HTTP on 127.0.0.1 (a free port), from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, urlconf: str = SANDBOX_URLCONF):
        self.httpd = NoDelayThreadedWSGIServer((host, port), _QuietHandler, allow_reuse_address=False)
        self.httpd.set_app(SandboxHandler(urlconf))
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="sandbox-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SandboxServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
