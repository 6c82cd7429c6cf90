"""gunicorn, the web server of `bin/run` (Procfile.dev) and production: `gunicorn -c config/gunicorn.conf.py`.

gthread workers: each worker process serves WEB_THREADS requests at once, so a vendor (or the
built-in sandbox) calling back into the app while one of our requests to it is in flight is
served, and a slow upload does not hold the whole worker. Workers and threads come from the
environment with small defaults (2 x 4; Heroku's and gunicorn's own WEB_CONCURRENCY convention).
Log lines go through config.logging's filter, which redacts hook secrets and artwork tokens.
"""

import os

from config.logging import gunicorn_logconfig

wsgi_app = "config.wsgi:application"
# WEB_BIND wins (e.g. "0.0.0.0:8000" in a container, "unix:/run/backoffice.sock"); else WEB_HOST:PORT.
bind = os.environ.get("WEB_BIND") or f"{os.environ.get('WEB_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# A 100,000-row stock CSV previews in a few seconds; 120 s leaves room on a busy machine.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Only the reverse proxy on these addresses may set X-Forwarded-Proto / -For for gunicorn itself
# (Django reads the scheme through SECURE_PROXY_SSL_HEADER, django-axes the client through ipware).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket (gunicornc) defaults to one path per user: two servers on one host
# (a deploy and its next release, or tests) would fight over it, and nothing here uses it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
logconfig_dict = gunicorn_logconfig(os.environ.get("LOG_LEVEL", "INFO"))
