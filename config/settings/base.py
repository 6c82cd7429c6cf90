"""Settings shared by every environment. Values come from the environment (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

# Fernet keys for secrets stored in the database (vendor API keys, tokens).
# The first key encrypts; all of them decrypt, so a key can be rotated.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")

INSTALLED_APPS = [
    "operations.site_config.BackOfficeAdminConfig",  # django.contrib.admin with the dashboard site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "django_celery_beat",
    "axes",
    # Configuration history (operations/audit.py): who changed what, secrets never recorded.
    "auditlog",
    "orders",
    "fulfilment",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the web server itself: no separate static server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Partners' hooks skip the staff pages' middleware below (sessions, auth, CSRF, CSP...).
    "fulfilment.middleware.PartnerHooksMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records the logged-in staff member as the actor of configuration changes.
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

# django-auditlog: no client address (it would read X-Forwarded-For unchecked).
AUDITLOG_DISABLE_REMOTE_ADDR = True

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_HOURS", default=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# --- Login throttling behind a reverse proxy ----------------------------------
# The number of reverse proxies in front of the app that append to X-Forwarded-For (nginx,
# a load balancer). 0: X-Forwarded-For is ignored and the connecting address is the client's.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.proxy.client_ip"
# A successful login clears that account's and address's failures (axes keeps them by default):
# five typos spread over a week should not lock out someone who logs in every day in between.
AXES_RESET_ON_SUCCESS = env.bool("AXES_RESET_ON_SUCCESS", default=True)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
# Form widgets render through TEMPLATES, so templates/ can override a widget's template (the
# admin's split date-time, whose "Date:" and "Time:" are made labels of their inputs);
# django.forms supplies the built-in widget templates.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
INSTALLED_APPS += ["django.forms"]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker, beat and the web server share one file: WAL lets readers go on while one
    # writes, IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_POOL", default=True):
    # Django's psycopg connection pool: each process holds at most DB_POOL_MAX_SIZE connections
    # however many threads serve requests. Persistent per-thread connections (CONN_MAX_AGE) under
    # a threaded server ran PostgreSQL out of connections in a burst of vendor callbacks ("too
    # many clients already"). The default max is the web server's threads per process
    # (WEB_THREADS, gunicorn gthread): each thread needs at most one at a time. With the default
    # 100 max_connections: e.g. 3 web processes x 8 + a Celery worker's children x 8 + beat
    # stays well under it. A request that waits DB_POOL_TIMEOUT seconds for one gets an
    # OperationalError (tasks retry it; hooks answer 503, which the vendor retries).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=env.int("WEB_THREADS", default=8)),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # required with a pool: the pool keeps them
else:
    # SQLite (and PostgreSQL with DB_POOL=false): keep connections between requests, checked
    # before reuse (a new PostgreSQL connection per request cost ~11 ms in bench/callbacks.py).
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))  # ?conn_max_age= wins
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"  # never routed: stored files are served by a permission-checked view
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Where print files go: local MEDIA_ROOT by default; S3 with django-storages by setting
# FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage and FILE_STORAGE_OPTIONS (JSON), e.g.
# {"bucket_name": "pod-artwork", "region_name": "eu-west-1"}.
STORAGES = {
    "default": {
        "BACKEND": env("FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("FILE_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves STATIC_ROOT (collectstatic) in production, with hashed, compressed names
# (production.py). In development (DEBUG) it reads the app and static/ folders directly and picks
# up edits (its own defaults: WHITENOISE_USE_FINDERS and WHITENOISE_AUTOREFRESH follow DEBUG), so
# bin/run needs no collectstatic.

LOGIN_URL = "admin:login"

# Content-Security-Policy on every page (django-csp). Our own origin only: no inline script or
# style, no eval, no third-party origin; vendor images are shown through our own image proxy.
# Stored vendor files set their own, stricter policy (orders/file_responses.py), which the
# middleware leaves alone. CSP_REPORT_URI, when set, receives the browsers' violation reports.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/sandbox/"],  # the development-only vendor simulators
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],  # as X-Frame-Options: DENY; nothing frames the admin
        **({"report-uri": [env("CSP_REPORT_URI")]} if env("CSP_REPORT_URI", default="") else {}),
    },
}

# Celery: Redis in production (CELERY_BROKER_URL=redis://...); with no broker set, kombu's
# filesystem transport, so a newcomer runs a real worker and beat with no server at all.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
# How long Redis keeps a delivered, unacknowledged message before giving it to another worker
# (the worker that took it is presumed dead). The trade-off: a task that has not been acked
# within this long is delivered AGAIN while it may still be running or waiting, and that
# includes a task sleeping in an ETA / countdown (retries, `apply_async(countdown=...)`): no
# countdown here may be longer than this (the longest are 30 minutes, artwork and sync retries),
# and a sync running longer is delivered twice (harmless: the second finds the first's lock).
# Shorter means a killed worker's task comes back sooner. Default 2 h, env-configurable.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=2 * 3600)
# How often a worker looks for such messages: kombu sweeps every interval x throttle seconds
# (10 x 10 by default), so a dead worker's task comes back after the visibility timeout plus
# up to that long.
CELERY_BROKER_RESTORE_SWEEP_SECONDS = env.int("CELERY_BROKER_RESTORE_SWEEP_SECONDS", default=100)
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": min(10, CELERY_BROKER_RESTORE_SWEEP_SECONDS),
    "unacked_restore_throttle": max(1, CELERY_BROKER_RESTORE_SWEEP_SECONDS // 10),
}
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Where kombu keeps its exchange bindings (else ./control in whatever directory the
        # worker was started from).
        "control_folder": str(_broker_dir / "control"),
    }
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # The threads pool, not prefork, on the filesystem broker. That transport has no event loop,
    # so a prefork worker runs billiard's blocking Pool (celery/worker/components.py: threaded =
    # not use_eventloop), whose children share ONE task pipe: the idle child reading it holds
    # the pipe's lock inside recv_bytes (billiard.queues.SimpleQueue.get_payload), and SIGKILLed
    # it never releases it, so every later task is "received" by the parent and run by no child
    # (reproduced here; the symptom of celery/celery#2011). Redis and AMQP run the AsynPool, one
    # pipe per child, which does not wedge. The demo's tasks wait on HTTP and the database, so
    # threads lose nothing there. The filesystem broker also takes a message off disk when it
    # is received, so a task of a killed worker is lost: the reconciler re-queues the sync.
    CELERY_WORKER_POOL = env("CELERY_WORKER_POOL", default="threads")
CELERY_TASK_IGNORE_RESULT = True
# At least once (Celery's guidance for idempotent tasks): acknowledge a task when it is done,
# not when it is received, and give it back to the queue when its worker process is killed.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=6 * 3600)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
SYNC_RECONCILE_SECONDS = env.int("SYNC_RECONCILE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    # No fulfilment order stays queued or sending forever (fulfilment.services.reconcile).
    "fulfilment-orders-reconcile": {"task": "fulfilment.tasks.fulfilment_orders_reconcile_task", "schedule": 60.0},
    # Raw vendor requests older than INCOMING_RETENTION_DAYS go.
    "fulfilment-incoming-prune": {"task": "fulfilment.tasks.incoming_prune_task", "schedule": 24 * 3600.0},
    # Staged stock CSV uploads past STOCK_IMPORT_TTL_MINUTES go.
    "fulfilment-stock-imports-prune": {"task": "fulfilment.tasks.stock_imports_prune_task", "schedule": 3600.0},
    # The reconciler: abandoned syncs re-queued, stuck print-file fetches queued again.
    "reconcile-syncs-and-artwork": {
        "task": "orders.tasks.sync_reconcile_task",
        "schedule": float(SYNC_RECONCILE_SECONDS),
    },
}
# Holds and automation rules (operations.services.rules, fulfilment.services.holds).
CELERY_BEAT_SCHEDULE |= {
    "operations-auto-sends": {"task": "operations.tasks.auto_sends_run_task", "schedule": 60.0},
    "operations-holds-release": {"task": "operations.tasks.holds_release_expired_task", "schedule": 60.0},
}

# The vendor simulators under /sandbox/. Never on in production.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
SANDBOX_API_KEY = env("SANDBOX_API_KEY", default="sandbox-key")
SANDBOX_QSTOMIZER_SHOP = env("SANDBOX_QSTOMIZER_SHOP", default="demo-store.myshopify.com")
SANDBOX_QSTOMIZER_SIZE = env.int("SANDBOX_QSTOMIZER_SIZE", default=400)
# Random faults in the Qstomizer sandbox: a rate ("0.1"), optionally with kinds
# ("0.1:500,503,429,stall,cut"). Empty: none.
SANDBOX_QSTOMIZER_FAULTS = env("SANDBOX_QSTOMIZER_FAULTS", default="")
SANDBOX_SEED = env.int("SANDBOX_SEED", default=7)
SANDBOX_KICKFLIP_COMPANY = env("SANDBOX_KICKFLIP_COMPANY", default="demo-brand")
SANDBOX_KICKFLIP_SIZE = env.int("SANDBOX_KICKFLIP_SIZE", default=150)

# Review: the reasons offered when rejecting a design (staff may also type their own).
REVIEW_REJECTION_REASONS = env.list(
    "REVIEW_REJECTION_REASONS",
    default=[
        "Offensive or inappropriate text",
        "Copyrighted or trademarked content",
        "Image resolution too low to print",
        "Spelling or layout problem",
        "Design does not fit the print area",
    ],
)

# Fulfilment: where vendors reach this app (status callbacks, order pushes, artwork links), the
# prefix of our order references, and how long an artwork link for a vendor stays valid.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
FULFILMENT_REF_PREFIX = env("FULFILMENT_REF_PREFIX", default="BO-")
ARTWORK_LINK_MAX_AGE_DAYS = env.int("ARTWORK_LINK_MAX_AGE_DAYS", default=30)
SANDBOX_CUSTOM_GATEWAY_COMPANY = env("SANDBOX_CUSTOM_GATEWAY_COMPANY", default="99999")
# Sending: an order queued or sending whose record has not moved for this long has no attempt
# running and is queued again by the reconciler; after FULFILMENT_RECONCILE_MAX rescues it is
# failed with the reason. Task retries back off to at most FULFILMENT_RETRY_MAX_COUNTDOWN
# seconds (under the broker's visibility timeout, and under the stuck bound). A 50004 without
# a Retry-After is waited out FULFILMENT_RATE_LIMIT_WAIT_SECONDS at a time.
FULFILMENT_STUCK_AFTER_MINUTES = env.int("FULFILMENT_STUCK_AFTER_MINUTES", default=15)
FULFILMENT_RECONCILE_MAX = env.int("FULFILMENT_RECONCILE_MAX", default=5)
FULFILMENT_RETRY_MAX_COUNTDOWN = env.int("FULFILMENT_RETRY_MAX_COUNTDOWN", default=600)
FULFILMENT_RATE_LIMIT_WAIT_SECONDS = env.int("FULFILMENT_RATE_LIMIT_WAIT_SECONDS", default=900)
# A send whose answer was lost, to a partner whose send is not idempotent: the order waits in
# Check and the partner is asked (probed) this many seconds later whether it got it; an unclear
# answer is asked again (the delay doubling), at most FULFILMENT_PROBE_MAX times, then staff decide.
FULFILMENT_PROBE_DELAY_SECONDS = env.int("FULFILMENT_PROBE_DELAY_SECONDS", default=60)
FULFILMENT_PROBE_MAX = env.int("FULFILMENT_PROBE_MAX", default=5)
# Hooks (status callbacks, order pushes): the largest body stored (bigger: 413, not stored),
# unverified requests (unknown token, bad HMAC) allowed per remote address per minute (then
# 429), and how long raw requests are kept (prune_incoming, daily beat task).
INCOMING_MAX_BODY_BYTES = env.int("INCOMING_MAX_BODY_BYTES", default=1024 * 1024)
HOOK_UNVERIFIED_RATE = env.int("HOOK_UNVERIFIED_RATE", default=30)
# The hooks' rate limit (and nothing else yet) counts in Django's cache: per process by default;
# set CACHE_URL (e.g. redis://127.0.0.1:6379/1) in production so all web processes share one count.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
INCOMING_RETENTION_DAYS = env.int("INCOMING_RETENTION_DAYS", default=90)
# Status callbacks stored and answered at once, applied by a worker (fulfilment.services.
# incoming_deferred); off: applied in the request, as before. Stored rows no task applied are
# applied by the beat after this many seconds.
HOOK_STATUS_CALLBACKS_DEFERRED = env.bool("HOOK_STATUS_CALLBACKS_DEFERRED", default=True)
INCOMING_RECONCILE_AFTER_SECONDS = env.int("INCOMING_RECONCILE_AFTER_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["fulfilment-incoming-reconcile"] = {
    "task": "fulfilment.tasks.incoming_unapplied_reconcile_task",
    "schedule": 60.0,
}

# Print files a partner makes (PRINT_FILE_POLLING; fulfilment.services.print_files): each item is
# polled with exponential backoff (PRINT_FILE_POLL_BASE_SECONDS, doubling, capped at
# PRINT_FILE_POLL_MAX_SECONDS) until it is ready (downloaded) or failed; a poll run takes at most
# PRINT_FILE_POLL_BATCH items. Files over PRINT_FILE_MAX_BYTES are refused. Each connection of
# such a partner has its own beat schedule, every PRINT_FILE_POLL_EVERY_MINUTES to begin with
# (Managers change it in the schedules admin).
PRINT_FILE_POLL_BASE_SECONDS = env.int("PRINT_FILE_POLL_BASE_SECONDS", default=60)
PRINT_FILE_POLL_MAX_SECONDS = env.int("PRINT_FILE_POLL_MAX_SECONDS", default=3600)
PRINT_FILE_POLL_BATCH = env.int("PRINT_FILE_POLL_BATCH", default=50)
PRINT_FILE_POLL_EVERY_MINUTES = env.int("PRINT_FILE_POLL_EVERY_MINUTES", default=1)
PRINT_FILE_MAX_BYTES = env.int("PRINT_FILE_MAX_BYTES", default=200 * 1024 * 1024)
# Beat schedules a connection gets by what its vendor can do (orders.services.connections): the
# capability, what staff see, the task (run with the connection's id) and its first interval.
CONNECTION_SCHEDULES = {
    "print_file_polling": {
        "label": "Poll print files",
        "task": "fulfilment.tasks.partner_print_files_poll_task",
        "every_minutes": PRINT_FILE_POLL_EVERY_MINUTES,
    },
}

# The vendors this back office talks to: one registry entry each (integrations/registry.py).
# Adding a vendor is one package under integrations/ and one line here.
VENDORS = [
    "integrations.qstomizer.spec.SPEC",
    "integrations.mycustomizer.spec.KICKFLIP",
    "integrations.mycustomizer.spec.MYCUSTOMIZER",
    "integrations.custom_gateway.spec.SPEC",
    "integrations.idealfactory.spec.SPEC",
]

# Vendor HTTP: every call has a timeout (connect, read) in seconds.
VENDOR_HTTP_CONNECT_TIMEOUT = env.float("VENDOR_HTTP_CONNECT_TIMEOUT", default=5.0)
VENDOR_HTTP_READ_TIMEOUT = env.float("VENDOR_HTTP_READ_TIMEOUT", default=30.0)
VENDOR_HTTP_RETRIES = env.int("VENDOR_HTTP_RETRIES", default=4)
VENDOR_HTTP_BACKOFF = env.float("VENDOR_HTTP_BACKOFF", default=0.5)

# A running sync beats (a thread of its own) every SYNC_HEARTBEAT_SECONDS; one whose heartbeat
# is older than SYNC_STALE_AFTER_SECONDS is taken as dead (its worker crashed): its lock no
# longer blocks the next sync, and the reconciler marks it abandoned and queues a new one.
SYNC_HEARTBEAT_SECONDS = env.float("SYNC_HEARTBEAT_SECONDS", default=15.0)
SYNC_STALE_AFTER_SECONDS = env.int("SYNC_STALE_AFTER_SECONDS", default=120)
# A print-file fetch silent this long is taken as dead; pending artwork of an approved design
# untouched this long has lost its task. The reconciler queues both again.
ARTWORK_STALE_FETCH_SECONDS = env.int("ARTWORK_STALE_FETCH_SECONDS", default=15 * 60)
ARTWORK_PENDING_REQUEUE_SECONDS = env.int("ARTWORK_PENDING_REQUEUE_SECONDS", default=60 * 60)

# --- Stock CSV import ---------------------------------------------------------
# An upload is kept on the server (fulfilment.StockImport) between its preview and confirmation;
# it expires after STOCK_IMPORT_TTL_MINUTES and is pruned on each new preview and hourly by beat.
STOCK_IMPORT_MAX_BYTES = env.int("STOCK_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
STOCK_IMPORT_MAX_ROWS = env.int("STOCK_IMPORT_MAX_ROWS", default=200_000)
STOCK_IMPORT_TTL_MINUTES = env.int("STOCK_IMPORT_TTL_MINUTES", default=60)


# --- Logging ---------------------------------------------------------------
# config.logging.RedactSecretsFilter replaces the token in hook URLs and artwork links with *** in
# every record of the loggers that print request paths (and on our handler, for everything else).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "django.request": {"filters": ["redact_secrets"]},
        "django.server": {"handlers": ["console"], "filters": ["redact_secrets"], "level": "INFO", "propagate": False},
        # gunicorn.access / gunicorn.error get the same filter from config/gunicorn.conf.py
        # (logconfig_dict); naming them here would strip the handlers gunicorn gave them.
    },
}

# --- Alerts (operations.services.alerts) -------------------------------------------------------
# E-mail: Django's mail backend (SMTP by default; config.settings.local prints to the console).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="backoffice@localhost")
ALERT_FROM_EMAIL = env("ALERT_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
# Where staff open the back office: the links in alerts are absolute from here.
BACKOFFICE_URL = env("BACKOFFICE_URL", default=PUBLIC_BASE_URL)
# A Slack-compatible incoming webhook (a secret: never shown or logged). Empty: no chat alerts.
ALERT_CHAT_WEBHOOK_URL = env("ALERT_CHAT_WEBHOOK_URL", default="")
ALERT_CHAT_TIMEOUT_SECONDS = env.float("ALERT_CHAT_TIMEOUT_SECONDS", default=10.0)
# A sent order with no status callback for this many hours is alerted.
ALERT_NO_CALLBACK_HOURS = env.int("ALERT_NO_CALLBACK_HOURS", default=48)
# How often the sweep looks at everything (late orders, no callback, stock, HD quota; resolving).
ALERT_SWEEP_SECONDS = env.int("ALERT_SWEEP_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["alerts-sweep"] = {
    "task": "operations.tasks.alerts_sweep_task",
    "schedule": float(ALERT_SWEEP_SECONDS),
}
# --- Home dashboard (operations.dashboard) -----------------------------------
# A syncing connection whose last good sync is older than this many hours is flagged.
DASHBOARD_SYNC_STALE_HOURS = env.int("DASHBOARD_SYNC_STALE_HOURS", default=24)
# The charts are cached this long (seconds; 0: never); the attention counts never are.
DASHBOARD_CHART_CACHE_SECONDS = env.int("DASHBOARD_CHART_CACHE_SECONDS", default=300)
# The kept daily totals behind the charts are recomputed in the background, each day at most once
# per this many seconds however many orders change (0: once per change).
DASHBOARD_TOTALS_REFRESH_SECONDS = env.int("DASHBOARD_TOTALS_REFRESH_SECONDS", default=30)
# And once a day the last week is recomputed from the rows: what changed without an event (a
# design whose date moved on a later sync) is put right.
CELERY_BEAT_SCHEDULE["operations-dashboard-totals-repair"] = {
    "task": "operations.tasks.dashboard_totals_repair_task",
    "schedule": 24 * 3600.0,
}
# Vendor previews mirrored into storage as thumbnails after each sync (orders/services/thumbnails.py).
THUMBNAILS_MIRROR = env.bool("THUMBNAILS_MIRROR", default=True)
