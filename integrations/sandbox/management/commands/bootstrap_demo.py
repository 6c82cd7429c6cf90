import os
import secrets
from functools import partial
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.registry import Capability
from integrations.sandbox.demo import demo_connections, demo_routing
from integrations.sandbox.tasks import demo_fulfilment_task
from orders.models import BadWordList
from orders.services.bad_words import bad_words_save
from orders.tasks import sync_connection_task

# A starter list, so the demo shows flagged designs; staff edit it, or pull a vendor's.
DEMO_BAD_WORDS = ["damn", "crap"]
# The staff password, kept across restarts of `bin/run` (in var/, which git ignores; never in the repo).
PASSWORD_FILE = "staff-password"  # noqa: S105 - a file name, not a password


def stored_password(path: Path) -> str:
    """The password kept in `path`, or a new one written there (readable by its owner only)."""
    try:
        password = path.read_text().strip()
    except FileNotFoundError:
        password = ""
    if password:
        return password
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(password + "\n")
    return password


class Command(BaseCommand):
    help = (
        "Development only: a staff login, a connection to each vendor's sandbox, a routing table, a "
        "starter bad-words list, a first sync and the fulfilment demo queued."
    )

    def add_arguments(self, parser):
        parser.add_argument("--origin", default="http://127.0.0.1:8000", help="where this app is served")
        parser.add_argument("--username", default="staff")
        parser.add_argument("--no-sync", action="store_true")

    def handle(self, *args, origin, username, no_sync, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("the sandbox is off (SANDBOX_ENABLED); bootstrap_demo is for development only")
        password = stored_password(Path(settings.VAR_DIR) / PASSWORD_FILE)
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            connections = demo_connections(origin)
            demo_routing(connections)
            if not BadWordList.current().words:
                bad_words_save(words=DEMO_BAD_WORDS, is_active=True, user=user)
            if not no_sync:
                # A few seconds of grace: the web server serving the sandbox starts beside the worker.
                for connection in connections:
                    if connection.spec.has(Capability.CUSTOMIZER_SYNC):
                        transaction.on_commit(
                            partial(
                                sync_connection_task.apply_async,
                                (connection.pk,),
                                {"trigger": "schedule"},
                                countdown=3,
                            )
                        )
                    if connection.spec.has(Capability.FULFILMENT_SEND):
                        transaction.on_commit(
                            partial(demo_fulfilment_task.apply_async, (connection.pk, origin), countdown=10)
                        )
        self.stdout.write(self.style.SUCCESS("\nBack office ready"))
        self.stdout.write(f"  URL:      {origin}/admin/")
        self.stdout.write(f"  Login:    {username}")
        self.stdout.write(f"  Password: {password}\n")
