"""`quita send-emails`: send pending e-mails and retry failed ones. Safe to run often, and twice at once."""

from django.core.management.base import BaseCommand

from quita.notifications.services import MAX_ATTEMPTS, emails_send_pending


class Command(BaseCommand):
    help = f"Send pending e-mails and retry failed ones (up to {MAX_ATTEMPTS} attempts each)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="at most this many e-mails")

    def handle(self, *args, limit=None, **options):
        counts = emails_send_pending(limit=limit)
        self.stdout.write(f"sent {counts['sent']}, failed {counts['failed']}, skipped {counts['skipped']}")
