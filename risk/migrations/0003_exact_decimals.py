from django.db import migrations

from kernel.db.migrations import ExactDecimalsOnSQLite


class Migration(migrations.Migration):
    dependencies = [("risk", "0002_circuitbreaker")]

    operations = [ExactDecimalsOnSQLite("risk")]
