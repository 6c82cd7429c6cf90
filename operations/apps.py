from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the day: the home dashboard, the search box, notes and tags, the activity feed,
    exports, alerts, holds and automation rules. Builds on orders and fulfilment, which never
    import it: they announce what happens with the signals in orders/signals.py and
    fulfilment/signals.py, and this app's receivers (connected in ready) act on them."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .admin.notes import tag_filters_attach

        tag_filters_attach()  # after every app's admin is registered: the "Tag" filter on the four lists
