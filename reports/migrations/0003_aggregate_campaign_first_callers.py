from django.db import migrations, models


def mark_folded_days(apps, schema_editor):
    """The folded days lack their campaign and first-time callers: mark them dirty, so readers read
    them from the calls until a fold (reports.tasks, or `rebuild_aggregates`) recomputes them."""
    import datetime as dt

    DailyAggregate = apps.get_model("reports", "DailyAggregate")
    DirtyDay = apps.get_model("reports", "DirtyDay")
    now = dt.datetime.now(dt.UTC)
    days = DailyAggregate.objects.values_list("client_id", "day").distinct().order_by()
    marks = [DirtyDay(client_id=client_id, day=day, marked_at=now) for client_id, day in days]
    DirtyDay.objects.bulk_create(marks, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0009_call_first_call"),
        ("reports", "0002_fold_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyaggregate",
            name="campaign",
            field=models.CharField(blank=True, max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="dailyaggregate",
            name="first_callers",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(mark_folded_days, migrations.RunPython.noop),
    ]
