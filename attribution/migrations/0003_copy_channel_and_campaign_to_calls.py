from django.db import migrations


def copy_to_calls(apps, schema_editor):
    """Every attributed call gets its attribution's channel and campaign (calls.0011): one
    UPDATE joined to the attributions, which rewrites the attributed calls' rows once."""
    Call = apps.get_model("calls", "Call")
    CallAttribution = apps.get_model("attribution", "CallAttribution")
    quote = schema_editor.connection.ops.quote_name
    calls, attributions = quote(Call._meta.db_table), quote(CallAttribution._meta.db_table)
    call_id, call_channel, call_campaign = (
        quote(Call._meta.get_field(name).column)
        for name in ("id", "attributed_channel", "attributed_campaign")
    )
    of_call, channel, campaign = (
        quote(CallAttribution._meta.get_field(name).column)
        for name in ("call", "channel", "campaign")
    )
    # Identifiers from the models; UPDATE … FROM is PostgreSQL's and SQLite's (3.33+) alike.
    schema_editor.execute(
        f"UPDATE {calls} SET {call_channel} = a.{channel}, {call_campaign} = a.{campaign}"  # noqa: S608
        f" FROM {attributions} a WHERE a.{of_call} = {calls}.{call_id}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("attribution", "0002_french_labels"),
        ("calls", "0011_call_attributed_channel_campaign"),
    ]

    operations = [migrations.RunPython(copy_to_calls, migrations.RunPython.noop)]
