from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Customizations"

    def ready(self):
        from .roles import roles_ensure

        # After every app's permissions exist (post_migrate of the last app runs after theirs).
        post_migrate.connect(roles_ensure, dispatch_uid="orders.roles_ensure")
