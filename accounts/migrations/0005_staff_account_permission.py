"""Support may change a client User's Client, role and active status; the DPO, who also holds
`change_user`, rectifies personal data only (accounts.admin, SPEC §10)."""

from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="accounts", codename="change_user_account"
    )
    group, _ = Group.objects.get_or_create(name="Support")
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="accounts", codename="change_user_account"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_retention")]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "ordering": ["last_name", "first_name"],
                "permissions": [
                    (
                        "change_user_account",
                        "Can change a client User's Client, role and active status",
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
