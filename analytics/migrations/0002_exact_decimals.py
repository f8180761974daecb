from django.db import migrations

from kernel.db.migrations import ExactDecimalsOnSQLite


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [ExactDecimalsOnSQLite("analytics")]
