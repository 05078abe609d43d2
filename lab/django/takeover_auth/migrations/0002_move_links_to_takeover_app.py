from django.db import migrations


def copy_links(apps, schema_editor):
    old = apps.get_model("takeover_auth", "LegacyLink")
    new = apps.get_model("takeover", "LegacyLink")
    # ignore_conflicts: a user who already signed in on a newer release has
    # a link in the new table, and that one is the current one.
    new.objects.bulk_create(
        [new(user_id=link.user_id, legacy_user_id=str(link.legacy_user_id)) for link in old.objects.all()],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("takeover_auth", "0001_initial"),
        ("takeover", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_links, migrations.RunPython.noop),
        # State only: the old table stays for a rollback to an older release.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LegacyLink")],
            database_operations=[],
        ),
    ]
