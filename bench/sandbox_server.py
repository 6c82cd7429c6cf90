"""Serve this project over HTTP for the benchmarks: `manage.py runserver` minus its 40 ms stall.

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/sandbox_server.py PORT

It is Django's own development server, the same code path as `runserver --noreload` (threaded
`WSGIServer`, `WSGIRequestHandler`, one request log line per request on stderr), with one
change: TCP_NODELAY on every accepted connection (`integrations.sandbox.server`, the same server
class the tests' live server and session sandbox server use; its docstring says why).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import django

    django.setup()

    from django.core.servers.basehttp import get_internal_wsgi_application, run

    from integrations.sandbox.server import NoDelayWSGIServer

    port = int(sys.argv[1])
    run("127.0.0.1", port, get_internal_wsgi_application(), threading=True, server_cls=NoDelayWSGIServer)


if __name__ == "__main__":
    main()
