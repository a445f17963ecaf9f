"""The daily retention jobs and the hourly shredding of expired exports, in django-celery-beat's
tables: editable in the admin, and the beat (DatabaseScheduler) picks up any change."""

from django.db import migrations

SCHEDULES = [
    ("Retention: purge expired calls", "retention.tasks.purge_calls_task", "0", "2"),
    ("Retention: purge expired recordings and voice messages", "retention.tasks.purge_recordings_task", "30", "2"),
    ("Retention: purge Users of ended contracts", "retention.tasks.purge_users_task", "0", "3"),
    ("Retention: purge old login-attempt records", "retention.tasks.purge_logins_task", "30", "3"),
    ("Exports: shred expired export files", "calls.tasks.export_jobs_purge_task", "15", "*"),
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
    dependencies = [("retention", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create, remove)]
