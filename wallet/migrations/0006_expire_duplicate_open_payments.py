from django.db import migrations
from django.db.models import Count
from django.utils import timezone

OPEN = ["created", "pending"]
KEY = ["user_id", "purpose", "ref", "gateway", "amount"]


def expire_duplicates(apps, schema_editor):
    """Concurrent POST /api/payments could create several open payments for one purchase. Keep the
    newest of each group open and expire the others before `one_open_payment` forbids them; an
    expired payment that is paid after all still succeeds (expired → succeeded), so no money is lost."""
    Payment = apps.get_model("wallet", "Payment")
    groups = (
        Payment.objects.filter(state__in=OPEN).values(*KEY).annotate(n=Count("id")).filter(n__gt=1).order_by()
    )
    for group in groups:
        fields = {name: group[name] for name in KEY}
        duplicates = Payment.objects.filter(state__in=OPEN, **fields).order_by("-created_at", "-id")[1:]
        for payment in duplicates:
            payment.state = "expired"
            payment.payloads = [*payment.payloads, {"source": "migration", "reason": "duplicate open payment"}]
            payment.updated_at = timezone.now()
            payment.save(update_fields=["state", "payloads", "updated_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("wallet", "0005_reconcile_marks"),
    ]

    operations = [migrations.RunPython(expire_duplicates, migrations.RunPython.noop)]
