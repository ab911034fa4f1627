"""`quita demo`: migrate, build the demo ISP (once), print the login and serve it on http://127.0.0.1:8000."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from quita.demo.builder import (
    DEFAULT_CUSTOMERS,
    DEMO_SUBSCRIBER_PASSWORD,
    SEED,
    demo_build,
    demo_exists,
    demo_portal_login,
    demo_purge,
    demo_summary,
    other_entities_exist,
)


class Command(BaseCommand):
    """Create the demo database and serve it; `--no-serve` only builds, `--reset` rebuilds."""

    help = (
        "Migrate the database, build a demo ISP (two entities, a few hundred customers, a year of billing "
        "history) unless it is already there, print the demo login and serve on http://127.0.0.1:8000."
    )

    def add_arguments(self, parser):
        """The command's options."""
        parser.add_argument("--no-serve", action="store_true", help="Only build the database; do not serve.")
        parser.add_argument("--port", type=int, default=8000, help="Port of the web server (default 8000).")
        parser.add_argument("--reset", action="store_true", help="Delete the demo entities and build them again.")
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"How many customers to create (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument("--seed", type=int, default=SEED, help="Random seed (the same seed builds the same data).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Build even though the database holds other entities (the demo adds a superuser demo/demo).",
        )

    def handle(self, *args, **options):
        """Migrate, build or keep the demo, then serve it."""
        if options["customers"] < 2:
            raise CommandError("--customers must be at least 2 (one per entity).")
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        database = settings.DATABASES["default"]
        self.stdout.write(_("Database: %(name)s") % {"name": database.get("NAME")})
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        migrated = time.monotonic() - started

        if options["reset"] and demo_exists():
            rows = demo_purge()
            self.stdout.write(_("Deleted the previous demo (%(rows)d rows).") % {"rows": rows})
        if demo_exists():
            self.stdout.write(_("The demo is already in this database (use --reset to build it again)."))
            summary = demo_summary()
        else:
            if other_entities_exist() and not options["force"]:
                raise CommandError(
                    _(
                        "This database already holds other entities. The demo adds users with known passwords "
                        "(demo / demo is a superuser): build it in an empty database, or pass --force."
                    )
                )
            self.stdout.write(
                _("Building the demo ISP with %(count)d customers and a year of history…")
                % {"count": options["customers"]}
            )
            summary = demo_build(
                customers=options["customers"], seed=options["seed"], log=lambda line: self.stdout.write(line)
            )
            self.stdout.write(
                self.style.SUCCESS(
                    _("Built in %(seconds).1f s (migrations %(migrate).1f s, total %(total).1f s).")
                    % {"seconds": summary.seconds, "migrate": migrated, "total": time.monotonic() - started}
                )
            )
        self._print_summary(summary)

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Demo login: demo / demo")))
        self.stdout.write(_("Other users (password = user name): manager, clerk, collector, viewer"))
        portal_login = demo_portal_login()
        if portal_login is not None:
            self.stdout.write(
                _("Subscriber portal (/portal/): CPF %(cpf)s / %(password)s (%(name)s)")
                % {"cpf": portal_login[0], "password": DEMO_SUBSCRIBER_PASSWORD, "name": portal_login[1]}
            )
        for label, path in self._pages():
            self.stdout.write(f"  {label:<16} http://127.0.0.1:{options['port']}{path}")
        if options["no_serve"]:
            return
        self._serve(options["port"])

    def _pages(self) -> list[tuple[str, str]]:
        """The pages worth opening: the staff UI (once it exists), the admin and the API's documentation."""
        pages = []
        for label, path in (
            (_("Quita"), "/"),
            (_("Portal"), "/portal/"),
            (_("Admin"), "/admin/"),
            (_("API (Swagger)"), "/api/docs/"),
        ):
            try:
                resolve(path)
            except Resolver404:
                continue
            pages.append((label, path))
        return pages

    def _print_summary(self, summary) -> None:
        """What the demo database holds."""
        lines = [
            (_("entities"), summary.entities),
            (_("customers"), summary.customers),
            (_("contracts"), summary.contracts),
            (_("services"), summary.services),
            (_("transactions"), summary.transactions),
            (_("billing runs"), summary.billing_runs),
            (_("invoices"), summary.invoices),
            (_("  paid"), summary.invoices_paid),
            (_("  partially paid"), summary.invoices_partially_paid),
            (_("  overdue"), summary.invoices_overdue),
            (_("  open, not yet due"), summary.invoices_open),
            (_("  void"), summary.invoices_void),
            (_("payments"), summary.payments),
        ]
        for label, value in lines:
            self.stdout.write(f"  {label:<26} {value:>7}")

    def _serve(self, port: int) -> None:
        """Serve with Django's development server on the loopback address only.

        Without QUITA_DEBUG (scripts/demo sets it) production settings mark cookies Secure, which a
        browser does not send back over plain http, so the admin login would fail: on this loopback-only
        demo server they are turned off, and static files are served as with DEBUG.
        """
        if not settings.DEBUG:
            self.stdout.write(_("QUITA_DEBUG is not set: serving static files and plain-http cookies for the demo."))
            settings.SESSION_COOKIE_SECURE = False
            settings.CSRF_COOKIE_SECURE = False
        call_command(
            "runserver",
            f"127.0.0.1:{port}",
            use_reloader=False,
            insecure_serving=not settings.DEBUG,
            skip_checks=True,
        )
