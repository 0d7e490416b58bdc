from django.conf import settings
from django.db import models


class ReconcileMarks(models.Model):
    """What the reconciler last failed at on this row. A row the gateway keeps refusing is
    marked (and asked last) instead of stopping the pass for every row after it."""

    reconcile_failures = models.PositiveIntegerField(default=0, help_text="consecutive failed reconciler attempts")
    reconcile_error = models.CharField(max_length=300, blank=True)
    reconcile_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Wallet(models.Model):
    """A user's XP account row. Only wallet.services changes it, under a row lock, together
    with the LedgerEntry that explains the change."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet")
    xp_balance = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(default=0)
    streak_freezes = models.PositiveSmallIntegerField(default=0)
    last_check_in = models.DateField(null=True, blank=True, help_text="in the user's time zone")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-xp_balance"], name="wallet_xp_desc")]
        constraints = [models.CheckConstraint(condition=models.Q(xp_balance__gte=0), name="xp_never_negative")]

    def __str__(self) -> str:
        return f"{self.user} · {self.xp_balance} XP"


class LedgerEntry(models.Model):
    """One XP movement. Append-only: rows are never updated or deleted."""

    class Source(models.TextChoices):
        CHECK_IN = "check_in"
        XP_PACK = "xp_pack"
        TOURNAMENT_PRIZE = "tournament_prize"
        FREEZE_PURCHASE = "freeze_purchase"
        ADMIN_ADJUSTMENT = "admin_adjustment"
        REFUND = "refund"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries")
    amount = models.IntegerField()
    source_kind = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=150, unique=True)
    reason = models.CharField(max_length=300, blank=True)
    balance_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.amount:+d} XP ({self.source_kind})"


class Payment(ReconcileMarks):
    class Purpose(models.TextChoices):
        REGISTRATION = "registration"
        LISTING_PLAN = "listing_plan"
        XP_PACK = "xp_pack"

    class Gateway(models.TextChoices):
        SANDBOX = "sandbox"
        RAZORPAY = "razorpay"
        PHONEPE = "phonepe"

    class State(models.TextChoices):
        CREATED = "created"
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        EXPIRED = "expired"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    ref = models.CharField(max_length=64, help_text="registration id, tournament id or XP pack slug")
    amount = models.PositiveBigIntegerField(help_text="paise")
    currency = models.CharField(max_length=3, default="INR")
    gateway = models.CharField(max_length=10, choices=Gateway.choices)
    gateway_order_id = models.CharField(max_length=100, blank=True, db_index=True)
    gateway_payment_id = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.CREATED)
    amount_refunded = models.PositiveBigIntegerField(default=0, help_text="paise, refunds the gateway completed")
    # What the client needs to pay, as the gateway returned it (e.g. PhonePe's redirect URL).
    checkout_data = models.JSONField(default=dict, blank=True)
    # Every gateway payload that touched this payment, oldest first.
    payloads = models.JSONField(default=list, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"]), models.Index(fields=["purpose", "ref"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_refunded__lte=models.F("amount")), name="refund_le_paid"),
            # One unfinished payment per purchase: concurrent identical requests share it.
            models.UniqueConstraint(
                fields=["user", "purpose", "ref", "gateway", "amount"],
                condition=models.Q(state__in=["created", "pending"]),
                name="one_open_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} {self.purpose}:{self.ref} {self.amount} paise ({self.state})"

    @property
    def amount_display(self) -> str:
        return f"₹{self.amount / 100:,.2f}"


class Refund(ReconcileMarks):
    """Money going back for a payment. Created `pending` (the amount is reserved at once, so
    concurrent refunds can never exceed what was paid), submitted to the gateway with its own
    idempotency key, then `processed` or `failed`."""

    class State(models.TextChoices):
        PENDING = "pending"
        PROCESSED = "processed"
        FAILED = "failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField(help_text="paise")
    reason = models.CharField(max_length=300, blank=True)
    # Scoped to the payment ("<payment id>:<key>"): a retried request finds its refund.
    idempotency_key = models.CharField(max_length=150, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    gateway_refund_id = models.CharField(max_length=100, blank=True, db_index=True)
    xp_debited = models.PositiveIntegerField(default=0, help_text="XP taken back for a refunded XP pack")
    failure_reason = models.CharField(max_length=300, blank=True)
    payloads = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.pk} of payment {self.payment_id}: {self.amount} paise ({self.state})"

    @property
    def merchant_refund_id(self) -> str:
        """The id gateways know this refund by; also their idempotency key (≥ 10 characters)."""
        return f"arena-refund-{self.pk}"

    @property
    def amount_display(self) -> str:
        return f"₹{self.amount / 100:,.2f}"


class PaymentEvent(ReconcileMarks):
    """A gateway callback, stored once per provider event id (duplicates are acknowledged, not reprocessed)."""

    gateway = models.CharField(max_length=10, choices=Payment.Gateway.choices)
    event_id = models.CharField(max_length=150)
    payment = models.ForeignKey(Payment, null=True, on_delete=models.SET_NULL, related_name="events")
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="one_event_per_provider_id")]

    def __str__(self) -> str:
        return f"{self.gateway} event {self.event_id}"


class IdempotencyRecord(models.Model):
    """A client's `Idempotency-Key` on POST /api/payments (Stripe's semantics): while the first
    request runs the key is locked (`locked_at`); then its response is kept, and the same key
    with the same request replays it for 24 hours. Keys are scoped per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and canonical JSON body")
    locked_at = models.DateTimeField(null=True, blank=True, help_text="set while the first request runs")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} ({self.status_code or 'in flight'})"
