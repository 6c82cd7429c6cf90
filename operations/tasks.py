"""The operations app's Celery tasks: thin, each calls one service."""
