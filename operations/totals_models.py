"""The home dashboard's kept daily totals (operations.services.dashboard_totals): per local day and
per vendor connection, what the charts show, so that a chart reads a few hundred rows whatever
the size of the tables behind it. Kept by the receivers in operations.totals; rebuilt by
`manage.py dashboard_totals_rebuild`."""

from django.db import models

from orders.models import VendorConnection


class DailyTotals(models.Model):
    """One local day (TIME_ZONE) and one connection: a source's designs, a partner's orders."""

    day = models.DateField()
    connection = models.ForeignKey(VendorConnection, on_delete=models.CASCADE, related_name="+")
    # Customizations made that day (customized_at) from this source.
    designs = models.PositiveIntegerField(default=0)
    # Fulfilment orders created that day for this partner (not discarded), and how many of them
    # hit a problem (operations.dashboard.problem_rates says which).
    orders = models.PositiveIntegerField(default=0)
    problems = models.PositiveIntegerField(default=0)
    # Orders sent that day (sent_at), and their turnaround as histograms {bucket: orders} of hours
    # approved -> sent and sent -> shipped (buckets in operations.services.dashboard_totals).
    sent = models.PositiveIntegerField(default=0)
    to_sent = models.JSONField(default=dict)
    to_shipped = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "daily totals"
        constraints = [models.UniqueConstraint(fields=["day", "connection"], name="dailytotals_day_connection")]

    def __str__(self) -> str:
        return f"{self.day} {self.connection_id}"
