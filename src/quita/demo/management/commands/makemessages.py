"""`quita makemessages`: Django's, also extracting strings marked with `_t` (the eager `gettext` alias).

Modules that use both the lazy `_` and the eager `gettext` import the latter as `_t` (payments/services.py
does, for the "Payment of invoice #%(number)s" title). xgettext does not know that name, so without this
the strings would be missing from the catalogue. Django documents overriding `xgettext_options` this way.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """makemessages with `_t` as an extra gettext keyword."""

    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_t"]
