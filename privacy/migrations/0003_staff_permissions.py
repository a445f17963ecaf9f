"""What the staff groups may do in the admin (SPEC §4): the DPO works requests, reads calls and
the audit log, and rectifies personal data; Support looks after Clients and Users."""

from django.db import migrations

DPO = {
    "privacy": {"datasubjectrequest": ["view", "add", "change"], "auditevent": ["view"]},
    "calls": {"call": ["view"], "contact": ["view", "change"], "trackingnumber": ["view"]},
    "accounts": {"client": ["view"], "user": ["view", "change"]},
    "retention": {"retentionrun": ["view"]},
}
SUPPORT = {
    "accounts": {"client": ["view", "add", "change"], "user": ["view", "add", "change"]},
    "retention": {"retentionrun": ["view"]},
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, table in (("DPO", DPO), ("Support", SUPPORT)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, models in table.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_requests"),
        ("calls", "0003_export_jobs"),
        ("accounts", "0004_retention"),
        ("retention", "0001_initial"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
