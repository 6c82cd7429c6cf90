# The back office's image: one image for web (gunicorn), worker and beat (compose.yaml picks the
# command). Production settings; every secret comes from the environment at run time.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var \
    WEB_BIND=0.0.0.0:8000

WORKDIR /app
RUN groupadd --system app && useradd --system --gid app --home-dir /app app

COPY requirements.txt ./
RUN python -m pip install -r requirements.txt

COPY . .
# Hashed, compressed static files for WhiteNoise. collectstatic needs settings that import, not
# real secrets: throwaway values for this one command only (the run time has its own).
RUN DJANGO_SECRET_KEY=collectstatic-only FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXNlY3JldCE= \
    DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/collectstatic.db \
    CELERY_BROKER_URL=memory:// PUBLIC_BASE_URL=https://localhost \
    python manage.py collectstatic --noinput -v0 \
    && mkdir -p /app/var/media && chown -R app:app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py"]
