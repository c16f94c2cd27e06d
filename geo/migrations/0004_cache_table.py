from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The database cache is shared by all workers (throttle counts); tests get it too.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("geo", "0003_roles")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
