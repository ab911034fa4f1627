"""Strings of the contract's wallet that live in the customers app, kept in this app's catalogue (see conventions)."""

from django.utils.translation import gettext_noop

EXTRA = [
    gettext_noop('The billing wallet; one of kind "invoice" lets the subscriber choose the bank.'),
    gettext_noop("Inactive."),
    gettext_noop("wallet"),
]
