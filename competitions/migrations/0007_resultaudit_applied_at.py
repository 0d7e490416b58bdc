from django.db import migrations, models
from django.db.models import F


def mark_applied(apps, schema_editor):
    # Audits written before this migration had their career stats moved inside the request.
    apps.get_model("competitions", "ResultAudit").objects.update(applied_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('competitions', '0006_tournament_banner_thumbnail'),
    ]

    operations = [
        migrations.AddField(
            model_name='resultaudit',
            name='applied_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_applied, migrations.RunPython.noop),
    ]
