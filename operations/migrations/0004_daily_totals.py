"""The home dashboard's kept daily totals (operations.totals_models.DailyTotals), back-filled from
the rows there are (operations.services.dashboard_totals.rebuild, on this migration's models).
Going back drops the table."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from operations.services.dashboard_totals import rebuild

    rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('operations', '0003_automation_rules'),
        ('orders', '0015_scale_indexes'),
        ('fulfilment', '0019_vendor_order_trigram'),
    ]

    operations = [
        migrations.CreateModel(
            name='DailyTotals',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('designs', models.PositiveIntegerField(default=0)),
                ('orders', models.PositiveIntegerField(default=0)),
                ('problems', models.PositiveIntegerField(default=0)),
                ('sent', models.PositiveIntegerField(default=0)),
                ('to_sent', models.JSONField(default=dict)),
                ('to_shipped', models.JSONField(default=dict)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('connection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orders.vendorconnection')),
            ],
            options={
                'verbose_name_plural': 'daily totals',
                'constraints': [models.UniqueConstraint(fields=('day', 'connection'), name='dailytotals_day_connection')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
