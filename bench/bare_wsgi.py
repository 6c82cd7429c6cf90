"""The WSGI application of bench/callbacks.py's gunicorn: the project's, with bench/bare_view.py
as its URLconf (the project's URLs plus the bare view). Only the benchmark's server loads it."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.bare_view"
