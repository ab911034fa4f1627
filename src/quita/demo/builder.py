"""Building the demo ISP through the real services, so its ledger and activity log are what Quita itself writes.

The build is a small simulation. Customers, contracts, services and the manual lines of the year are
created first (each with its own dates); then a timeline of events runs in date order: every
billing date's recurring run (`billing_run_recurring`), the payments each new invoice will receive
(on time, late, in part, or never), invoice voids and the settlement of a delinquent customer's
open invoices with one cash receipt. Only what has no service is written with the ORM: users,
entities and memberships. A seeded `random.Random` and a seeded Faker make the data the same on
every build of the same day.
"""

from __future__ import annotations

import calendar
import datetime
import heapq
import itertools
import random
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.utils import timezone, translation
from django.utils.translation import gettext
from faker import Faker
from stdnum.br import cnpj as cnpj_number
from stdnum.br import cpf as cpf_number

from quita.banking import services as banking_services
from quita.banking.cnab import writer as cnab_writer
from quita.banking.cnab.layouts import LAYOUTS
from quita.banking.models import Boleto, RegistrationMode, WalletKind
from quita.billing import services as billing_services
from quita.billing.models import CreditType, Invoice, InvoiceStatus, Transaction
from quita.core.models import Entity, Membership, Role
from quita.core.money import prorate, round_money
from quita.core.selectors import entity_today
from quita.customers import services as customer_services
from quita.customers.models import Contract, ContractStatus, Customer, Product, Service
from quita.demo import data
from quita.payments import services as payment_services
from quita.payments.models import Payment, PaymentMethodKind
from quita.portal import services as portal_services

SEED = 2025
DEFAULT_CUSTOMERS = 300
HISTORY_MONTHS = 12

# Username, role in both entities, staff and superuser (the admin login), full name.
DEMO_USERS: tuple[tuple[str, str, bool, str], ...] = (
    ("demo", Role.ADMINISTRATOR, True, "Demo Quita"),
    ("manager", Role.MANAGER, False, "Mariana Costa"),
    ("clerk", Role.BILLING_CLERK, False, "Carlos Pereira"),
    ("collector", Role.COLLECTIONS_OPERATOR, False, "Joana Lima"),
    ("viewer", Role.READ_ONLY, False, "Vitor Souza"),
)

# The subscriber-portal login the demo opens for one of its customers (whose CPF `quita demo` prints).
DEMO_SUBSCRIBER_PASSWORD = "assinante-demo"

# The bank wallets (carteiras) of each demo company: one confirmed by the return file, one assumed after 30 minutes.
DEMO_WALLETS: tuple[dict, ...] = (
    {
        "name": "Banco do Brasil",
        "bank": "001",
        "agency": "1234",
        "account": "56789",
        "beneficiary_code": "1234567",
        "wallet_code": "17",
        "variation": "019",
        "cnab_layout": 240,
        "registration": RegistrationMode.RETURN_FILE,
    },
    {
        "name": "Sicoob",
        "bank": "756",
        "agency": "3007",
        "account": "12345678",
        "beneficiary_code": "229385",
        "wallet_code": "1",
        "variation": "01",
        "cnab_layout": 240,
        "registration": RegistrationMode.ASSUMED,
    },
)

# Same-day events run in this order: money received before the day's billing run picks up its credits.
_SETTLE, _PAY, _VOID, _RUN = range(4)


@dataclass
class DemoSummary:
    """What a build created, and how long it took."""

    entities: int = 0
    customers: int = 0
    contracts: int = 0
    services: int = 0
    transactions: int = 0
    invoices: int = 0
    invoices_paid: int = 0
    invoices_partially_paid: int = 0
    invoices_overdue: int = 0
    invoices_open: int = 0
    invoices_void: int = 0
    payments: int = 0
    billing_runs: int = 0
    seconds: float = 0.0


@dataclass
class _Company:
    """One demo entity while it is being built: its catalogue, today and its receipt numbers."""

    spec: data.DemoEntity
    entity: Entity
    today: datetime.date
    window_start: datetime.date
    plans: dict[str, list[Product]] = field(default_factory=dict)
    receipts: itertools.count = field(default_factory=lambda: itertools.count(1))
    condominium_addresses: dict[str, dict] = field(default_factory=dict)


@dataclass
class _Subscriber:
    """A demo customer with what the simulation needs to know about them."""

    company: _Company
    customer: Customer
    contract: Contract
    internet: Service
    method: str
    delinquent_from: datetime.date | None = None
    settle_on: datetime.date | None = None
    settlement_scheduled: bool = False
    # Pays only part of the first invoice issued on or after this date, and never the rest.
    pays_in_part_from: datetime.date | None = None

    def in_arrears_on(self, day: datetime.date) -> bool:
        """Whether the customer stopped paying by `day` and had not yet settled."""
        if self.delinquent_from is None or day < self.delinquent_from:
            return False
        return self.settle_on is None or day < self.settle_on


def demo_entities() -> list[Entity]:
    """The demo's entities, if they exist."""
    return list(Entity.objects.filter(cnpj__in=[spec.cnpj for spec in data.ENTITIES]).order_by("name"))


def demo_exists() -> bool:
    """Whether this database already holds the demo ISP."""
    return Entity.objects.filter(cnpj__in=[spec.cnpj for spec in data.ENTITIES]).exists()


def other_entities_exist() -> bool:
    """Whether the database holds entities that are not the demo's (a real or another test ledger)."""
    return Entity.objects.exclude(cnpj__in=[spec.cnpj for spec in data.ENTITIES]).exists()


def demo_purge() -> int:
    """Delete the demo entities and every row that belongs to them; return how many rows went.

    Only for `quita demo --reset`: real ledgers are never deleted. Rows that protect others from
    deletion are found from the ProtectedError and deleted first, so models that other apps add
    later are covered without being listed here.
    """
    from quita.portal.models import SubscriberAccount

    with transaction.atomic():
        entities = Entity.objects.filter(cnpj__in=[spec.cnpj for spec in data.ENTITIES])
        # Portal accounts of demo customers only (the demo login among them) go with them.
        accounts = SubscriberAccount.objects.filter(customers__entity__in=entities).exclude(
            customers__in=Customer.objects.exclude(entity__in=entities)
        )
        deleted, _ = SubscriberAccount.objects.filter(pk__in=list(accounts.values_list("pk", flat=True))).delete()
        return deleted + _delete_with_dependents(entities)


def _delete_with_dependents(queryset, depth: int = 0) -> int:
    """Delete a queryset, first deleting (recursively) whatever protects its rows."""
    if depth > 25:
        raise RuntimeError("demo reset: the chain of protected rows is too deep")
    deleted = 0
    while True:
        try:
            with transaction.atomic():
                count, _ = queryset.delete()
            return deleted + count
        except (ProtectedError, RestrictedError) as error:
            objects = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
            blockers: dict[type, list[int]] = {}
            for obj in objects:
                blockers.setdefault(type(obj), []).append(obj.pk)
            for model, pks in blockers.items():
                for start in range(0, len(pks), 500):
                    chunk = model._base_manager.filter(pk__in=pks[start : start + 500])
                    deleted += _delete_with_dependents(chunk, depth + 1)


def demo_build(*, customers: int = DEFAULT_CUSTOMERS, seed: int = SEED, log: Callable[[str], None] | None = None):
    """Build the demo ISP in one database transaction and return a `DemoSummary`.

    Raises RuntimeError when the demo is already there (call `demo_purge` first to rebuild).
    """
    if customers < 2:
        raise ValueError("the demo needs at least two customers (one per entity)")
    started = time.monotonic()
    with translation.override("pt-br"), transaction.atomic():
        if demo_exists():
            raise RuntimeError("the demo is already built")
        _Builder(customers=customers, seed=seed, log=log or (lambda message: None)).build()
    summary = demo_summary()
    summary.seconds = time.monotonic() - started
    return summary


def demo_summary() -> DemoSummary:
    """Count what the demo entities hold (invoices by state as of each entity's today)."""
    entities = demo_entities()
    summary = DemoSummary(entities=len(entities))
    for entity in entities:
        today = entity_today(entity)
        summary.customers += Customer.objects.filter(entity=entity).count()
        summary.contracts += Contract.objects.filter(entity=entity).count()
        summary.services += Service.objects.filter(contract__entity=entity).count()
        summary.transactions += Transaction.objects.filter(entity=entity).count()
        summary.payments += Payment.objects.filter(entity=entity).count()
        summary.billing_runs += entity.billing_runs.count()
        unpaid = Q(status=InvoiceStatus.UNPAID)
        row = Invoice.objects.filter(entity=entity).aggregate(
            invoices=Count("id"),
            paid=Count("id", filter=Q(status=InvoiceStatus.PAID)),
            void=Count("id", filter=Q(status=InvoiceStatus.VOID)),
            partial=Count("id", filter=unpaid & Q(amount_paid__gt=0)),
            overdue=Count("id", filter=unpaid & Q(due_date__lt=today)),
            open=Count("id", filter=unpaid & Q(due_date__gte=today)),
        )
        summary.invoices += row["invoices"]
        summary.invoices_paid += row["paid"]
        summary.invoices_void += row["void"]
        summary.invoices_partially_paid += row["partial"]
        summary.invoices_overdue += row["overdue"]
        summary.invoices_open += row["open"]
    return summary


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (clamped to the end of shorter months)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, for e-mail addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class _Builder:
    """One build of the demo: seeded randomness, the users, the companies and the timeline of events."""

    def __init__(self, *, customers: int, seed: int, log: Callable[[str], None]) -> None:
        """Seed the randomness; nothing is written until `build`."""
        self.customer_count = customers
        self.rng = random.Random(seed)
        self.fake = Faker("pt_BR")
        self.fake.seed_instance(seed)
        self.log = log
        self.users: dict[str, object] = {}
        self.companies: list[_Company] = []
        self.subscribers: dict[int, _Subscriber] = {}
        self.documents: set[str] = set()
        self.events: list = []
        self.sequence = itertools.count()
        self.wrong_charges: set[int] = set()
        self.voiding: set[int] = set()

    # -- set-up -----------------------------------------------------------------------------------------------

    def build(self) -> None:
        """Create everything, then run the timeline."""
        self._create_users()
        for spec in data.ENTITIES:
            self._create_company(spec)
        self._create_customers()
        self._guarantee_each_outcome()
        self._create_manual_lines()
        self.log(gettext("%(count)d customers created; running a year of billing…") % {"count": len(self.subscribers)})
        self._schedule_billing_runs()
        self._run_timeline()
        self._close_cancelled_contracts()
        self._open_portal_login()
        self._create_wallets()

    def _create_users(self) -> None:
        """The demo login and one user per role (password = username). No service exists for users."""
        user_model = get_user_model()
        # PBKDF2 releases the GIL: hashing the five passwords side by side halves the wait on two cores.
        with ThreadPoolExecutor(max_workers=len(DEMO_USERS)) as pool:
            hashes = list(pool.map(make_password, [username for username, *_rest in DEMO_USERS]))
        for (username, _role, is_admin, full_name), password_hash in zip(DEMO_USERS, hashes, strict=True):
            user, _ = user_model.objects.get_or_create(username=username)
            user.first_name, _sep, user.last_name = full_name.partition(" ")
            user.email = f"{username}@demo.quita.dev"
            user.is_staff = user.is_superuser = is_admin
            user.is_active = True
            user.password = password_hash
            user.save()
            self.users[username] = user

    def _create_company(self, spec: data.DemoEntity) -> None:
        """An entity (ORM: no service exists), the memberships of the demo users, and its catalogue."""
        entity = Entity.objects.create(
            name=spec.name,
            legal_name=spec.legal_name,
            cnpj=spec.cnpj,
            time_zone=spec.time_zone,
            invoice_prefix=spec.invoice_prefix,
        )
        for username, role, _is_admin, _name in DEMO_USERS:
            Membership.objects.update_or_create(user=self.users[username], entity=entity, defaults={"role": role})
        today = entity_today(entity)
        company = _Company(
            spec=spec,
            entity=entity,
            today=today,
            window_start=_months_before(today, HISTORY_MONTHS) + datetime.timedelta(days=1),
        )
        for plan in spec.plans:
            product = customer_services.product_create(
                entity=entity,
                actor=self.users["manager"],
                name=plan.name,
                category=plan.category,
                price=plan.price,
                is_active=plan.is_active,
            )
            company.plans.setdefault(plan.category, []).append(product)
        for name in spec.condominiums:
            company.condominium_addresses[name] = {
                "street": self.rng.choice(data.STREETS),
                "number": str(self.rng.randint(100, 3000)),
                "district": self.fake.bairro(),
                "postal_code": spec.cities[0].postal_prefix + f"{self.rng.randint(0, 999999):06d}",
            }
        self.companies.append(company)

    # -- customers --------------------------------------------------------------------------------------------

    def _create_customers(self) -> None:
        """Split the customers between the entities and create each with contract and services."""
        remaining = self.customer_count
        for index, company in enumerate(self.companies):
            last = index == len(self.companies) - 1
            count = remaining if last else max(1, round(self.customer_count * company.spec.share))
            remaining -= count
            for _ in range(count):
                self._create_subscriber(company)

    def _guarantee_each_outcome(self) -> None:
        """However few the customers, each entity has one who stopped paying and one who paid part of an invoice."""
        for company in self.companies:
            steady = [
                s
                for s in self.subscribers.values()
                if s.company is company and s.contract.start_date < company.window_start and s.contract.end_date is None
            ]
            if not any(s.delinquent_from for s in steady):
                debtor = steady.pop(0) if steady else None
                if debtor is not None:
                    debtor.delinquent_from = company.today - datetime.timedelta(days=75)
            steady = [s for s in steady if s.delinquent_from is None]
            if steady:
                steady[-1].pays_in_part_from = company.today - datetime.timedelta(days=100)

    def _document(self, person_type: str) -> str:
        """A fresh valid CPF or CNPJ from Faker, checked with python-stdnum, as digits."""
        module, make = (cpf_number, self.fake.cpf) if person_type == "PF" else (cnpj_number, self.fake.cnpj)
        while True:
            number = make()
            digits = module.compact(number)
            # Faker's check digits are right; one repeated digit (111.111.111-11) is valid but never issued.
            if not module.is_valid(number) or len(set(digits)) == 1:
                continue
            if digits not in self.documents:
                self.documents.add(digits)
                return digits

    def _person(self, company: _Company, person_type: str, city: data.City) -> dict:
        """Name, trade name, e-mails and phones of a PF or PJ customer."""
        rng = self.rng
        phones = [f"({city.area_code}) 9{rng.randint(8000, 9999)}-{rng.randint(0, 9999):04d}"]
        if person_type == "PJ" or rng.random() < 0.2:
            phones.append(f"({city.area_code}) 3{rng.randint(0, 999):03d}-{rng.randint(0, 9999):04d}")
        if person_type == "PJ":
            surname = self.fake.last_name()
            trade_name = f"{rng.choice(data.BUSINESS_KINDS)} {surname}"
            suffix = rng.choice(("Ltda", "Ltda", "ME", "EIRELI"))
            domain = f"{_ascii_slug(trade_name)}.com.br"
            emails = [f"financeiro@{domain}"] + ([f"contato@{domain}"] if rng.random() < 0.4 else [])
            return {"name": f"{trade_name} {suffix}", "trade_name": trade_name, "emails": emails, "phones": phones}
        first = self.fake.first_name()
        surnames = [self.fake.last_name()]
        if rng.random() < 0.6:
            second = self.fake.last_name()
            if second != surnames[0]:
                surnames.insert(0, second)
        name = " ".join([first, *surnames])
        login = f"{_ascii_slug(first)}.{_ascii_slug(surnames[-1])}"
        if rng.random() < 0.5:
            login += str(rng.randint(1, 99))
        emails = [f"{login}@{rng.choice(data.EMAIL_DOMAINS)}"] if rng.random() < 0.92 else []
        return {"name": name, "trade_name": "", "emails": emails, "phones": phones}

    def _address(self, company: _Company, city: data.City) -> dict:
        """A street address; about a third of the customers live in one of the entity's condominiums."""
        rng = self.rng
        if company.spec.condominiums and rng.random() < 0.3:
            condominium = rng.choice(company.spec.condominiums)
            main_city = company.spec.cities[0]
            return {
                **company.condominium_addresses[condominium],
                "complement": f"Bloco {rng.choice('ABCD')}, Apto {rng.randint(1, 15)}0{rng.randint(1, 4)}",
                "city": main_city.name,
                "state": main_city.state,
                "condominium": condominium,
            }
        street = rng.choice(data.STREETS) if rng.random() < 0.6 else f"Rua {self.fake.name_nonbinary()}"
        return {
            "street": street,
            "number": str(rng.randint(10, 3500)),
            "complement": "Casa 2" if rng.random() < 0.08 else "",
            "district": self.fake.bairro(),
            "city": city.name,
            "state": city.state,
            "postal_code": city.postal_prefix + f"{rng.randint(0, 999999):06d}",
            "condominium": "",
        }

    def _create_subscriber(self, company: _Company) -> None:
        """One customer with a contract, an internet plan and maybe mobile, TV and extras."""
        rng = self.rng
        today, window_start = company.today, company.window_start
        person_type = "PJ" if rng.random() < 0.12 else "PF"
        city = rng.choices(company.spec.cities, weights=[c.weight for c in company.spec.cities])[0]
        customer = customer_services.customer_create(
            entity=company.entity,
            actor=self.users["clerk"],
            person_type=person_type,
            document=self._document(person_type),
            **self._person(company, person_type, city),
            **self._address(company, city),
        )
        joined_this_year = rng.random() < 0.3
        if joined_this_year:
            start = window_start + datetime.timedelta(days=rng.randint(0, (today - window_start).days - 15))
        else:
            start = today - datetime.timedelta(days=rng.randint(400, 1800))
        end = None
        if not joined_this_year and rng.random() < 0.05:
            end = today - datetime.timedelta(days=rng.randint(20, 300))
        billing_day, due_day = rng.choice(data.BILLING_CYCLES)
        contract = customer_services.contract_create(
            customer=customer,
            actor=self.users["clerk"],
            billing_day=billing_day,
            due_day=due_day,
            start_date=start,
            end_date=end,
            description="Contrato de prestação de serviços de internet",
        )
        internet = self._add_services(company, contract, person_type, start, end, joined_this_year)
        method = rng.choices(
            (PaymentMethodKind.CASH, PaymentMethodKind.POS, PaymentMethodKind.BANK_TRANSFER), weights=(2, 3, 5)
        )[0]
        subscriber = _Subscriber(company, customer, contract, internet, method)
        if not joined_this_year and end is None and rng.random() < 0.08:
            subscriber.delinquent_from = today - datetime.timedelta(days=rng.randint(40, 160))
            if rng.random() < 0.4:
                settle = subscriber.delinquent_from + datetime.timedelta(days=rng.randint(55, 100))
                subscriber.settle_on = settle if settle <= today - datetime.timedelta(days=3) else None
        self.subscribers[customer.pk] = subscriber
        if joined_this_year and rng.random() < 0.85:
            billing_services.transaction_create(
                customer=customer,
                actor=self.users["clerk"],
                kind="charge",
                title="Taxa de instalação",
                description=f"Instalação em {start:%d/%m/%Y}",
                amount=data.SETUP_FEE[person_type],
                date=start,
                service=internet,
            )

    def _pick(self, products: list[Product], person_type: str, spec_plans, *, allow_inactive: bool) -> Product:
        """A product suited to the customer: their audience's plans, and for companies also the faster PF plans."""
        audiences = {plan.name: plan.audience for plan in spec_plans}

        def fits(product: Product) -> bool:
            """Whether the product suits this customer."""
            if not (product.is_active or allow_inactive):
                return False
            audience = audiences[product.name]
            if audience in (person_type, "any"):
                return True
            return person_type == "PJ" and product.price >= Decimal("119.90")

        return self.rng.choice([p for p in products if fits(p)] or products)

    def _add_services(self, company, contract, person_type, start, end, joined_this_year) -> Service:
        """Create the contract's services; return the internet one."""
        rng, plans, spec_plans = self.rng, company.plans, company.spec.plans
        actor = self.users["clerk"]
        internet_plan = self._pick(plans["internet"], person_type, spec_plans, allow_inactive=not joined_this_year)
        price = None
        if rng.random() < 0.15 and internet_plan.price > Decimal("80.00"):
            price = str(internet_plan.price - Decimal("10.00"))  # a loyalty price agreed at sign-up
        internet = customer_services.service_create(
            contract=contract,
            actor=actor,
            product=internet_plan,
            start_date=start,
            price=price,
            description="" if price is None else f"{internet_plan.name} (preço fidelidade)",
        )
        add_ons = []
        if rng.random() < 0.25:
            add_ons.append(("mobile", None))
        if person_type == "PF" and rng.random() < 0.15:
            add_ons.append(("tv", "may_end"))
        if person_type == "PJ" and rng.random() < 0.7:
            add_ons.append(("other:IP fixo", None))
        if rng.random() < 0.15:
            add_ons.append(("other", None))
        for category, flag in add_ons:
            category, _sep, name = category.partition(":")
            products = [p for p in plans.get(category, []) if not name or p.name == name]
            if not products:
                continue
            product = self._pick(products, person_type, spec_plans, allow_inactive=False)
            service_start = start
            latest = (end or company.today) - datetime.timedelta(days=20)
            if rng.random() < 0.3 and latest > max(start, company.window_start):
                earliest = max(start, company.window_start)
                service_start = earliest + datetime.timedelta(days=rng.randint(0, (latest - earliest).days))
            service_end = None
            if flag == "may_end" and rng.random() < 0.25 and latest > service_start + datetime.timedelta(days=40):
                service_end = service_start + datetime.timedelta(
                    days=rng.randint(40, (latest - service_start).days + 40)
                )
                service_end = min(service_end, latest)
            customer_services.service_create(
                contract=contract, actor=actor, product=product, start_date=service_start, end_date=service_end
            )
        return internet

    # -- manual lines -----------------------------------------------------------------------------------------

    def _internet_active(self, subscriber: _Subscriber, day: datetime.date) -> bool:
        """Whether the subscriber's internet service was running on `day`."""
        service, contract = subscriber.internet, subscriber.contract
        return (
            service.start_date <= day
            and (service.end_date is None or service.end_date >= day)
            and (contract.end_date is None or contract.end_date >= day)
        )

    def _create_manual_lines(self) -> None:
        """Outage compensations, technical visits, loyalty discounts, a few lines voided and a few wrong charges."""
        rng, clerk = self.rng, self.users["clerk"]
        for company in self.companies:
            members = [s for s in self.subscribers.values() if s.company is company]
            span = (company.today - company.window_start).days
            for _ in range(2):
                outage = company.window_start + datetime.timedelta(days=rng.randint(20, span - 20))
                city = rng.choice(company.spec.cities[:3])
                cause = rng.choice(data.OUTAGE_CAUSES)
                for subscriber in members:
                    if subscriber.customer.city != city.name or not self._internet_active(subscriber, outage):
                        continue
                    billing_services.transaction_create(
                        customer=subscriber.customer,
                        actor=clerk,
                        kind="credit",
                        credit_type=CreditType.OUTAGE_COMPENSATION,
                        title="Compensação por indisponibilidade",
                        description=f"{cause.capitalize()} em {city.name} em {outage:%d/%m/%Y}: 1 dia de serviço.",
                        amount=str(prorate(subscriber.internet.price, 1, 30)),
                        date=outage + datetime.timedelta(days=2),
                        service=subscriber.internet,
                    )
            established = [
                s
                for s in members
                if s.contract.start_date < company.window_start
                and s.contract.end_date is None
                and s.delinquent_from is None
            ]
            for subscriber in members:
                day = self._random_active_day(subscriber, company)
                if day is None:
                    continue
                draw = rng.random()
                if draw < 0.05:
                    billing_services.transaction_create(
                        customer=subscriber.customer,
                        actor=clerk,
                        kind="charge",
                        title="Visita técnica",
                        description="Visita técnica solicitada pelo cliente (cabo danificado no imóvel).",
                        amount=data.TECHNICAL_VISIT,
                        date=day,
                        service=subscriber.internet,
                    )
                elif draw < 0.08:
                    billing_services.transaction_create(
                        customer=subscriber.customer,
                        actor=clerk,
                        kind="credit",
                        credit_type=CreditType.DISCOUNT,
                        title="Desconto de fidelidade",
                        description="Renovação do contrato por mais 12 meses.",
                        amount=data.LOYALTY_DISCOUNT,
                        date=day,
                    )
            # Lines typed twice by mistake, voided before any invoice picked them up.
            for subscriber in rng.sample(members, k=min(2, len(members))):
                day = self._random_active_day(subscriber, company)
                if day is None:
                    continue
                line = billing_services.transaction_create(
                    customer=subscriber.customer,
                    actor=clerk,
                    kind="charge",
                    title="Visita técnica",
                    amount=data.TECHNICAL_VISIT,
                    date=day,
                    service=subscriber.internet,
                )
                billing_services.transaction_void(
                    transaction_id=line.pk, actor=clerk, reason="Lançamento em duplicidade."
                )
            # Charges that should not have been made: their invoices get voided and re-billed without them.
            for subscriber in rng.sample(established, k=min(max(1, len(members) // 100), len(established))):
                span_to_limit = max(1, (company.today - company.window_start).days - 90)
                day = company.window_start + datetime.timedelta(days=rng.randint(0, span_to_limit))
                if not self._internet_active(subscriber, day):
                    continue
                line = billing_services.transaction_create(
                    customer=subscriber.customer,
                    actor=clerk,
                    kind="charge",
                    title="Mudança de endereço",
                    description="Transferência do serviço para o novo endereço.",
                    amount=data.ADDRESS_CHANGE,
                    date=day,
                    service=subscriber.internet,
                )
                self.wrong_charges.add(line.pk)

    def _random_active_day(self, subscriber: _Subscriber, company: _Company) -> datetime.date | None:
        """A day in the history window when the subscriber's internet was running, if there is one."""
        first = max(subscriber.internet.start_date, company.window_start)
        last = company.today - datetime.timedelta(days=5)
        if subscriber.contract.end_date is not None:
            last = min(last, subscriber.contract.end_date)
        if last <= first:
            return None
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    # -- the timeline -----------------------------------------------------------------------------------------

    def _at(self, day: datetime.date, order: int, action: Callable[[], None]) -> None:
        """Schedule `action` on `day` (same-day events run in `order`, then in the order they were scheduled)."""
        heapq.heappush(self.events, (day, order, next(self.sequence), action))

    def _schedule_billing_runs(self) -> None:
        """Every billing date of every cycle in the history window, for each entity."""
        billing_days = sorted({day for day, _due in data.BILLING_CYCLES})
        for company in self.companies:
            for months_back in range(HISTORY_MONTHS, -1, -1):
                month = _months_before(company.today.replace(day=1), months_back)
                last_day = calendar.monthrange(month.year, month.month)[1]
                for billing_day in billing_days:
                    run_date = month.replace(day=min(billing_day, last_day))
                    if company.window_start <= run_date <= company.today:
                        self._at(run_date, _RUN, lambda c=company, d=run_date: self._billing_run(c, d))

    def _run_timeline(self) -> None:
        """Run the events in date order; events scheduled by events join the queue."""
        while self.events:
            _day, _order, _seq, action = heapq.heappop(self.events)
            action()

    def _billing_run(self, company: _Company, run_date: datetime.date) -> None:
        """The recurring run of one billing date, then the fate of each invoice it issued."""
        run = billing_services.billing_run_recurring(entity=company.entity, run_date=run_date)
        if run.errors:
            raise RuntimeError(f"billing run {run_date} of {company.entity} failed: {run.errors}")
        wrong = Transaction.objects.filter(pk__in=self.wrong_charges, invoice__billing_run=run)
        for line_id, invoice_id in wrong.values_list("pk", "invoice_id"):
            self.voiding.add(invoice_id)
            self._at(run_date + datetime.timedelta(days=2), _VOID, lambda i=invoice_id, t=line_id: self._void(i, t))
        for invoice in Invoice.objects.filter(billing_run=run).order_by("id"):
            self._plan_payments(company, invoice)

    def _plan_payments(self, company: _Company, invoice: Invoice) -> None:
        """Decide how an invoice gets paid: on time, late, in part, or not at all (overdue)."""
        if invoice.status != InvoiceStatus.UNPAID or invoice.pk in self.voiding:
            return
        rng, subscriber = self.rng, self.subscribers[invoice.customer_id]
        if subscriber.in_arrears_on(invoice.issue_date):
            if subscriber.settle_on is not None and not subscriber.settlement_scheduled:
                subscriber.settlement_scheduled = True
                self._at(subscriber.settle_on, _SETTLE, lambda s=subscriber: self._settle(s))
            return  # stays unpaid: overdue once its due date passes
        issue, due, draw = invoice.issue_date, invoice.due_date, rng.random()
        if subscriber.pays_in_part_from is not None and issue >= subscriber.pays_in_part_from:
            subscriber.pays_in_part_from = None
            self._pay(company, invoice, due, subscriber.method, amount=round_money(invoice.total / 2))
            return
        if draw < 0.04 and invoice.total >= Decimal("20.00"):
            share = Decimal(rng.choice(("0.40", "0.50", "0.60")))
            self._pay(company, invoice, due, subscriber.method, amount=round_money(invoice.total * share))
            if rng.random() < 0.5:
                self._pay(company, invoice, due + datetime.timedelta(days=rng.randint(15, 40)), subscriber.method)
            return
        if draw < 0.07:
            return  # forgotten: overdue once its due date passes
        if rng.random() < 0.15:
            received = due + datetime.timedelta(days=rng.randint(1, 25))
        else:
            received = issue + datetime.timedelta(days=rng.randint(0, max(0, (due - issue).days)))
        amount = None
        if subscriber.method == PaymentMethodKind.CASH and rng.random() < 0.05:
            amount = (invoice.total / 10).to_integral_value(rounding=ROUND_CEILING) * 10  # "keep the change"
        self._pay(company, invoice, received, subscriber.method, amount=amount)

    def _reference(self, company: _Company, method: str, day: datetime.date) -> str:
        """A receipt number, card-machine NSU or bank-transfer id, as the cashier would type it."""
        rng = self.rng
        if method == PaymentMethodKind.CASH:
            return f"REC-{day.year}-{next(company.receipts):05d}"
        if method == PaymentMethodKind.POS:
            return f"{rng.choice(('Cielo', 'Stone', 'Rede'))} NSU {rng.randint(0, 999999):06d}"
        return f"TED {rng.choice(('001', '033', '104', '237', '341'))}-{rng.randint(0, 99999999):08d}"

    def _pay(self, company: _Company, invoice: Invoice, day: datetime.date, method: str, amount=None) -> None:
        """Schedule a payment (none if `day` is still in the future: the invoice stays open)."""
        if day > company.today:
            return
        reference = self._reference(company, method, day)
        actor = self.users["clerk" if method == PaymentMethodKind.BANK_TRANSFER else "collector"]

        def pay() -> None:
            """Record the payment through the service (run by the timeline on its day)."""
            payment_services.invoice_pay(
                invoice_id=invoice.pk,
                actor=actor,
                method=method,
                amount=None if amount is None else str(amount),
                reference=reference,
                received_on=day,
            )

        self._at(day, _PAY, pay)

    def _settle(self, subscriber: _Subscriber) -> None:
        """A delinquent customer pays every open invoice at the counter with one cash receipt."""
        open_ids = list(
            Invoice.objects.filter(customer=subscriber.customer, status=InvoiceStatus.UNPAID).values_list(
                "pk", flat=True
            )
        )
        if open_ids:
            payment_services.invoices_pay(
                invoice_ids=open_ids,
                actor=self.users["collector"],
                method=PaymentMethodKind.CASH,
                reference=self._reference(subscriber.company, PaymentMethodKind.CASH, subscriber.settle_on),
                received_on=subscriber.settle_on,
            )

    def _void(self, invoice_id: int, line_id: int) -> None:
        """Void an invoice that billed a wrong charge, then void the charge; the rest is billed again next cycle."""
        clerk = self.users["clerk"]
        billing_services.invoice_void(
            invoice_id=invoice_id, actor=clerk, reason="Mudança de endereço cobrada por engano (isenta no contrato)."
        )
        billing_services.transaction_void(
            transaction_id=line_id, actor=clerk, reason="Cobrança indevida: a mudança de endereço é isenta."
        )

    def _close_cancelled_contracts(self) -> None:
        """Contracts whose end date has passed are cancelled and their customers deactivated."""
        clerk = self.users["clerk"]
        for subscriber in self.subscribers.values():
            end = subscriber.contract.end_date
            if end is not None and end < subscriber.company.today:
                customer_services.contract_update(
                    contract=subscriber.contract, actor=clerk, status=ContractStatus.CANCELLED
                )
                customer_services.customer_update(customer=subscriber.customer, actor=clerk, is_active=False)

    def _open_portal_login(self) -> None:
        """A portal login for a steady customer of the first entity: a person with an e-mail, an active
        contract, paid invoices and an open one (the lowest id among those, so the same seed picks the same)."""
        today = self.companies[0].today
        candidates = [
            s
            for s in sorted(self.subscribers.values(), key=lambda s: s.customer.pk)
            if s.company is self.companies[0] and s.customer.person_type == "PF" and s.customer.emails
        ]

        def fits(subscriber: _Subscriber) -> bool:
            invoices = Invoice.objects.filter(customer=subscriber.customer)
            return (
                subscriber.contract.end_date is None
                and subscriber.delinquent_from is None
                and invoices.filter(status=InvoiceStatus.PAID).exists()
                and invoices.filter(status=InvoiceStatus.UNPAID, due_date__gte=today).exists()
            )

        chosen = next((s for s in candidates if fits(s)), candidates[0] if candidates else None)
        if chosen is not None:
            portal_services.portal_account_open(
                customer=chosen.customer, actor=self.users["clerk"], password=DEMO_SUBSCRIBER_PASSWORD
            )

    def _create_wallets(self) -> None:
        """Each company collects by boleto and PIX: a Banco do Brasil wallet (registration confirmed by the return
        file), a Sicoob wallet (registration assumed after 30 minutes) and an "invoice" wallet that lets the
        subscriber pick the bank in the portal. The active contracts take them in turn (the portal login's contract
        the chooser), and each open invoice of a contract on a bank wallet gets its boleto and PIX code."""
        admin, clerk = self.users["demo"], self.users["clerk"]
        for company in self.companies:
            entity = company.entity
            common = {
                "kind": WalletKind.BANK,
                "fine_percent": Decimal("2.00"),
                "interest_percent_month": Decimal("1.00"),
                "pix_key": entity.cnpj,
                "instructions": "Não receber após 60 dias do vencimento.",
            }
            bank_wallets = [
                banking_services.wallet_create(entity=entity, actor=admin, **spec, **common) for spec in DEMO_WALLETS
            ]
            chooser = banking_services.wallet_create(
                entity=entity, actor=admin, name="Escolha do banco (assinante)", kind=WalletKind.INVOICE
            )
            rotation = [chooser, *bank_wallets]
            portal_customers = set(
                Customer.objects.filter(entity=entity, portal_accounts__isnull=False).values_list("pk", flat=True)
            )
            subscribers = sorted(
                (s for s in self.subscribers.values() if s.company is company and s.contract.end_date is None),
                key=lambda s: s.customer.pk,
            )
            for position, subscriber in enumerate(subscribers):
                wallet = chooser if subscriber.customer.pk in portal_customers else rotation[position % len(rotation)]
                customer_services.contract_update(contract=subscriber.contract, actor=admin, wallet=wallet)
                if wallet.kind != WalletKind.BANK:
                    continue
                open_invoices = Invoice.objects.filter(
                    customer=subscriber.customer, status=InvoiceStatus.UNPAID, due_date__gte=company.today
                ).order_by("pk")
                for invoice in open_invoices:
                    banking_services.boleto_issue(invoice_id=invoice.pk, wallet_id=wallet.pk, actor=clerk)
            self._bank_round(company, bank_wallets)

    def _bank_round(self, company: _Company, wallets) -> None:
        """The day's exchange with the banks: each wallet's remittance goes out, and the wallets registered by the
        return file get the bank's answer (`_bank_return`). Sicoob's boletos count as registered 30 minutes after
        issue."""
        clerk = self.users["clerk"]
        for wallet in wallets:
            if Boleto.objects.filter(wallet=wallet).exclude(pending_action="").exists():
                banking_services.remittance_create(wallet_id=wallet.pk, actor=clerk)
            if wallet.registration == RegistrationMode.RETURN_FILE:
                self._bank_return(company, wallet)

    def _bank_return(self, company: _Company, wallet) -> None:
        """A return file as the bank writes it, imported as a clerk would: it confirms every entry, reports two
        boletos paid, and a payment for a nosso número Quita never issued (a boleto of the ISP's previous system),
        which lands in "needs attention"."""
        boletos = list(Boleto.objects.filter(wallet=wallet).select_related("invoice").order_by("our_number"))
        if not boletos:
            return
        layout, day = LAYOUTS[(wallet.bank, wallet.cnab_layout)], company.today
        titles = [_bank_title(layout, wallet, b, "02", day) for b in boletos]
        titles += [_bank_title(layout, wallet, b, "06", day, paid=b.amount) for b in boletos[:2]]
        legacy = SimpleNamespace(
            our_number_display=f"{wallet.beneficiary_code}{9_000_000_001:010d}",
            invoice=None,
            due_date=day,
            amount=Decimal("89.90"),
        )
        titles.append(_bank_title(layout, wallet, legacy, "06", day, paid=legacy.amount))
        header = cnab_writer.FileHeader(
            bank=wallet.bank,
            company_doc=company.entity.cnpj,
            company_name=(company.entity.legal_name or company.entity.name)[:30],
            agency=wallet.agency,
            account=wallet.account,
            agreement=wallet.beneficiary_code,
            file_number=1,
            created=timezone.localtime(timezone.now()).replace(tzinfo=None),
        )
        content = cnab_writer.write_return(layout, header, titles).encode("latin-1")
        banking_services.return_import(
            entity_id=company.entity.pk,
            content=content,
            filename=f"RET{wallet.bank}000001.ret",
            actor=self.users["clerk"],
        )


def _bank_title(layout, wallet, boleto, occurrence: str, day: datetime.date, paid: Decimal = Decimal("0.00")) -> dict:
    """One title of a bank's return file: the occurrence, and for a payment the bank's fee and the credit date."""
    fee = Decimal("1.85") if paid else Decimal("0.00")
    return {
        "our_number": layout.our_number_out(boleto),
        "agency": wallet.agency,
        "account": wallet.account,
        "document_number": boleto.invoice.number[-10:] if boleto.invoice else "",
        "due_date": boleto.due_date,
        "amount": boleto.amount,
        "occurrence": occurrence,
        "occurrence_date": day,
        "paid_amount": paid,
        "fee": fee,
        "credit_date": day + datetime.timedelta(days=1) if paid else None,
        "credit_amount": paid - fee,
    }


def demo_portal_login() -> tuple[str, str] | None:
    """The demo's subscriber-portal login: (formatted CPF, customer name), or None."""
    from quita.portal.models import SubscriberAccount

    account = (
        SubscriberAccount.objects.filter(customers__entity__in=demo_entities(), password_set_at__isnull=False)
        .order_by("pk")
        .first()
    )
    if account is None:
        return None
    customer = account.customers.order_by("pk").first()
    return cpf_number.format(account.document), customer.name if customer else ""
