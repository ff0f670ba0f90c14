import uuid

from django.db import migrations, models
from django.utils import timezone

# The sentiments report of a caller who sees every channel reads a tenant-wide grain (4 rows a day instead of one
# per day, channel, team and sentiment). Its rows are the sums of the per-channel sentiment rows already kept.


def fill_sentiment_totals(apps, schema_editor) -> None:
    summary = apps.get_model("inbox", "TicketDaySummary")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    counts = [quote(f.column) for f in summary._meta.concrete_fields if isinstance(f, models.IntegerField)]
    new_id = "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    everywhere = models.UUIDField().get_db_prep_value(uuid.UUID(int=0), connection)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = quote(summary._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, tenant_id, created_at, updated_at, day, grain, channel_id, team, {quote('key')}, "
            f"{', '.join(counts)}) "
            f"SELECT {new_id}, tenant_id, %s, %s, day, 'sentimentTotal', %s, '', {quote('key')}, "
            f"{', '.join(f'SUM({c})' for c in counts)} FROM {table} WHERE grain = 'sentiment' "
            f"GROUP BY tenant_id, day, {quote('key')}",
            [now, now, everywhere],
        )


def drop_sentiment_totals(apps, schema_editor) -> None:
    apps.get_model("inbox", "TicketDaySummary").all_tenants.filter(grain="sentimentTotal").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0010_merge_counts_by_type_and_day_summary"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticketdaysummary",
            name="grain",
            field=models.CharField(
                choices=[
                    ("channel", "Channel"),
                    ("sentiment", "Sentiment"),
                    ("agent", "Agent"),
                    ("category", "Category"),
                    ("agentTotal", "Agent Total"),
                    ("categoryTotal", "Category Total"),
                    ("sentimentTotal", "Sentiment Total"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(fill_sentiment_totals, drop_sentiment_totals),
    ]
