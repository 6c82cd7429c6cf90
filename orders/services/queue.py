"""The background tasks of `orders`, by the names they are registered under.

Services queue work by name (`config.celery.queue_on_commit`), so they never import
`orders.tasks`, which imports them; the tasks are declared with `name=` one of these. One source
for each name: the beat schedule and the connections' periodic tasks read them too."""

SYNC_TASK = "orders.tasks.sync_connection_task"
SYNC_RECONCILE_TASK = "orders.tasks.sync_reconcile_task"
ARTWORK_FETCH_TASK = "orders.tasks.artwork_fetch_task"
RESCREEN_TASK = "orders.tasks.rescreen_customizations_task"
THUMBNAILS_MIRROR_TASK = "orders.tasks.side_thumbnails_mirror_task"
