"""Serve this project over HTTP for the benchmarks: `manage.py runserver` minus its 40 ms stall.

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/sandbox_server.py PORT

It is Django's own development server, the same code path as `runserver --noreload` (threaded
`WSGIServer`, `WSGIRequestHandler`, one request log line per request on stderr), with one
change: TCP_NODELAY on every accepted connection.

Why: runserver's handler writes the response headers and the body in two `send()` calls. On a
kept-alive connection (requests' Session keeps them) Nagle's algorithm holds the body back until
the client acknowledges the headers, and the client delays that acknowledgement by about 40 ms.
Every request then costs about 40 ms of idle waiting (measured here: 45 ms per request on a kept
connection, 3 ms on a fresh one), which would make a benchmark measure the simulator's socket
settings rather than the sync. Production HTTP servers set TCP_NODELAY; so does this one.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import django

    django.setup()

    from django.core.servers.basehttp import WSGIServer, get_internal_wsgi_application, run

    class NoDelayWSGIServer(WSGIServer):
        def get_request(self):
            sock, address = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

    port = int(sys.argv[1])
    run("127.0.0.1", port, get_internal_wsgi_application(), threading=True, server_cls=NoDelayWSGIServer)


if __name__ == "__main__":
    main()
