from django.db import migrations, models


def mark_first_calls(apps, schema_editor):
    """Each Contact's earliest call (then the smallest id) was its caller's first: one statement.
    On PostgreSQL, DISTINCT ON sorts the calls once (seconds for millions; an anti-join compares
    each call with every other call of its Contact); elsewhere the portable anti-join."""
    Call = apps.get_model("calls", "Call")
    quote = schema_editor.connection.ops.quote_name
    table = quote(Call._meta.db_table)
    id_, contact, started, first = (
        quote(Call._meta.get_field(name).column)
        for name in ("id", "contact", "started_at", "is_first_call")
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"UPDATE {table} SET {first} = true WHERE {id_} IN ("  # noqa: S608 (identifiers from the model)
            f"SELECT DISTINCT ON ({contact}) {id_} FROM {table} WHERE {contact} IS NOT NULL "
            f"ORDER BY {contact}, {started}, {id_})"
        )
        return
    schema_editor.execute(
        f"UPDATE {table} SET {first} = true WHERE {contact} IS NOT NULL AND NOT EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {table} e WHERE e.{contact} = {table}.{contact} AND (e.{started} < "
        f"{table}.{started} OR (e.{started} = {table}.{started} AND e.{id_} < {table}.{id_})))"
    )


class Migration(migrations.Migration):
    """A database default: adding the column is instant on PostgreSQL (no table rewrite), and
    calls loaded in SQL (the benchmarks' data sets) get False. Existing calls are not first-time
    callers unless they are their Contact's earliest call (mark_first_calls)."""

    dependencies = [
        ("calls", "0008_verbose_names_for_the_admin"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="is_first_call",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="first-time caller"
            ),
        ),
        migrations.RunPython(mark_first_calls, migrations.RunPython.noop),
    ]
