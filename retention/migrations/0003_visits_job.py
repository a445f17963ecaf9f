"""The fifth retention job: website visits without a call (SPEC §13), scheduled in
django-celery-beat's tables like the other four."""

from django.db import migrations, models

SCHEDULES = [
    ("Retention: purge website visits without a call", "retention.tasks.purge_visits_task", "0", "4"),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, *_ in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_daily_schedules")]
    operations = [
        migrations.AlterField(
            model_name="retentionrun",
            name="job",
            field=models.CharField(
                choices=[
                    ("calls", "Calls (with their media)"),
                    ("recordings", "Recordings and voice messages"),
                    ("users", "Users of ended contracts"),
                    ("logins", "Login-attempt records"),
                    ("visits", "Website visits without a call"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(create, remove),
    ]
