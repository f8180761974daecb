from django.db import migrations

from kernel.db.migrations import ExactDecimalsOnSQLite


class Migration(migrations.Migration):
    dependencies = [("marketdata", "0001_initial")]

    operations = [ExactDecimalsOnSQLite("marketdata")]
