"""`quita portal-access CUSTOMER_ID`: e-mail a customer the link to set their subscriber-portal password."""

from django.core.management.base import BaseCommand, CommandError

from quita.core.errors import DomainError
from quita.customers.models import Customer
from quita.portal.services import portal_access_send


class Command(BaseCommand):
    help = "E-mail a customer the link to set their subscriber-portal password."

    def add_arguments(self, parser):
        parser.add_argument("customer", type=int, help="the customer's id")

    def handle(self, *args, customer: int, **options):
        target = Customer.objects.filter(pk=customer).first()
        if target is None:
            raise CommandError(f"customer {customer} not found")
        try:
            email = portal_access_send(customer=target, actor=None)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.detail}") from None
        self.stdout.write(f"e-mail {email.pk} to {', '.join(email.to)}: {email.get_status_display()}")
