from django.db import migrations, models


def runs_from_feed(apps, schema_editor):
    """The run start used to be derived from the feed: the highest attempt recorded by a `failedToPublish*` entry."""
    FeedItem = apps.get_model("contentplanner", "FeedItem")
    Post = apps.get_model("contentplanner", "Post")
    starts: dict = {}
    for post_id, data in FeedItem._base_manager.filter(key__startswith="failedToPublish").values_list("post_id", "data"):
        attempt = int((data or {}).get("attempt") or 0)
        starts[post_id] = max(starts.get(post_id, 0), attempt)
    for post_id, attempt in starts.items():
        Post._base_manager.filter(pk=post_id).update(run_started_attempt=attempt)


class Migration(migrations.Migration):
    dependencies = [
        ("contentplanner", "0002_post_list_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="run_started_attempt",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(runs_from_feed, migrations.RunPython.noop),
    ]
