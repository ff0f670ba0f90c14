from django.db import migrations, models

# The ticket counters gain the ticket's type, so the counts polled for a type (`?type=comment`) are read from them
# too. The trigger function is replaced and the counters rebuilt from the tickets while writers wait (SHARE ROW
# EXCLUSIVE lets reads through): no write can fall between the rebuild and the new trigger. PostgreSQL only.
KEYS = {
    "forward": "tenant_id, channel_id, type, status, is_unread",
    "backward": "tenant_id, channel_id, status, is_unread",
}


def rebuild_sql(columns: str) -> str:
    return f"""
LOCK TABLE inbox_ticket IN SHARE ROW EXCLUSIVE MODE;
CREATE OR REPLACE FUNCTION inbox_ticket_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO inbox_ticketcount (id, created_at, updated_at, {columns}, delta)
        SELECT gen_random_uuid(), now(), now(), {columns}, count(*)
        FROM new_rows GROUP BY {columns};
    ELSE
        INSERT INTO inbox_ticketcount (id, created_at, updated_at, {columns}, delta)
        SELECT gen_random_uuid(), now(), now(), {columns}, sum(change)
        FROM (
            SELECT {columns}, 1 AS change FROM new_rows
            UNION ALL
            SELECT {columns}, -1 AS change FROM old_rows
        ) AS changes
        GROUP BY {columns} HAVING sum(change) <> 0;
    END IF;
    RETURN NULL;
END $$;
DELETE FROM inbox_ticketcount;
INSERT INTO inbox_ticketcount (id, created_at, updated_at, {columns}, delta)
SELECT gen_random_uuid(), now(), now(), {columns}, count(*) FROM inbox_ticket GROUP BY {columns};
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0008_merge_20261129_0308"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketcount",
            name="type",
            field=models.CharField(
                choices=[
                    ("post", "Post"),
                    ("comment", "Comment"),
                    ("reply", "Reply"),
                    ("message", "Message"),
                    ("mention", "Mention"),
                    ("review", "Review"),
                ],
                default="",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(
            _on_postgresql(rebuild_sql(KEYS["forward"])), _on_postgresql(rebuild_sql(KEYS["backward"]))
        ),
    ]
