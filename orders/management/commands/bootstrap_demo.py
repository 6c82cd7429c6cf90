import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fulfilment.demo import demo_connection
from fulfilment.tasks import demo_fulfilment_task
from integrations.mycustomizer import sandbox as mycustomizer_sandbox
from integrations.qstomizer import sandbox
from orders.models import BadWordList
from orders.services.bad_words import bad_words_save
from orders.services.connections import connection_upsert
from orders.tasks import sync_connection_task

DEMO_CONNECTION = "Demo Qstomizer (sandbox)"
DEMO_KICKFLIP = "Demo Kickflip (sandbox)"
# A starter list, so the demo shows flagged designs; staff edit it, or pull Kickflip's.
DEMO_BAD_WORDS = ["damn", "crap"]


class Command(BaseCommand):
    help = "Development only: a staff login, a sandbox Qstomizer connection, and a first sync queued."

    def add_arguments(self, parser):
        parser.add_argument("--origin", default="http://127.0.0.1:8000", help="where this app is served")
        parser.add_argument("--username", default="staff")
        parser.add_argument("--no-sync", action="store_true")

    def handle(self, *args, origin, username, no_sync, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("the sandbox is off (SANDBOX_ENABLED); bootstrap_demo is for development only")
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            connection, _ = connection_upsert(
                name=DEMO_CONNECTION,
                kind="qstomizer",
                settings={"shop_domain": settings.SANDBOX_QSTOMIZER_SHOP, "base_url": sandbox.base_url(origin)},
                secrets={"api_key": settings.SANDBOX_API_KEY},
            )
            kickflip, _ = connection_upsert(
                name=DEMO_KICKFLIP,
                kind="kickflip",
                settings={
                    "company": settings.SANDBOX_KICKFLIP_COMPANY,
                    "base_url": mycustomizer_sandbox.base_url(origin, "kickflip"),
                },
                secrets={"api_key": settings.SANDBOX_API_KEY},
            )
            gateway = demo_connection(origin)
            if not BadWordList.current().words:
                bad_words_save(words=DEMO_BAD_WORDS, is_active=True, user=user)
            if not no_sync:
                # A few seconds of grace: the web server serving the sandbox starts beside the worker.
                for pk in (connection.pk, kickflip.pk):
                    transaction.on_commit(
                        lambda pk=pk: sync_connection_task.apply_async((pk,), {"trigger": "schedule"}, countdown=3)
                    )
                transaction.on_commit(lambda: demo_fulfilment_task.apply_async((gateway.pk, origin), countdown=10))
        self.stdout.write(self.style.SUCCESS("\nBack office ready"))
        self.stdout.write(f"  URL:      {origin}/admin/")
        self.stdout.write(f"  Login:    {username}")
        self.stdout.write(f"  Password: {password}\n")
