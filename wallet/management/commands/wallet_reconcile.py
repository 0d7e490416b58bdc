from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from wallet.models import LedgerEntry, Wallet


class Command(BaseCommand):
    help = "Prove that every wallet's XP balance equals the sum of its ledger entries."

    def handle(self, *args, **options):
        sums = dict(LedgerEntry.objects.values("user_id").annotate(total=Sum("amount")).values_list("user_id", "total"))
        mismatches = []
        for user_id, balance in Wallet.objects.values_list("user_id", "xp_balance"):
            if balance != sums.pop(user_id, 0):
                mismatches.append(user_id)
        # Entries without a wallet row would be XP that exists nowhere.
        mismatches += [user_id for user_id, total in sums.items() if total]
        if mismatches:
            raise CommandError(f"{len(mismatches)} wallet(s) disagree with their ledger: users {sorted(mismatches)}")
        self.stdout.write(self.style.SUCCESS(f"All {Wallet.objects.count()} wallets match their ledgers."))
