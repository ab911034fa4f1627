"""The fixed facts of the demo ISP: its two companies, their cities, catalogues and billing cycles.

Everything random (names, documents, addresses, who pays late) comes from Faker's pt_BR locale and a
seeded `random.Random` in `builder.py`; this module holds only what a real ISP would have written down.
Prices are strings so that they become `Decimal` without passing through a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class City:
    """A real city served by a demo entity, with its state, area code (DDD) and first CEP digits."""

    name: str
    state: str
    area_code: str
    postal_prefix: str
    weight: int


@dataclass(frozen=True)
class Plan:
    """A catalogue line: name, category code, monthly price (a decimal string), who it is for."""

    name: str
    category: str
    price: str
    audience: str = "PF"  # PF, PJ or "any"
    is_active: bool = True


@dataclass(frozen=True)
class DemoEntity:
    """One billing company of the demo ISP."""

    key: str
    name: str
    legal_name: str
    cnpj: str
    time_zone: str
    invoice_prefix: str
    share: float  # of the customers
    cities: tuple[City, ...]
    plans: tuple[Plan, ...]
    condominiums: tuple[str, ...] = field(default_factory=tuple)


# (billing day, due day): the period is billed about ten days before it is due.
BILLING_CYCLES: tuple[tuple[int, int], ...] = ((25, 5), (1, 10), (5, 15), (10, 20), (15, 25))

FIBRA_SUL = DemoEntity(
    key="fibra_sul",
    name="Fibra Sul Telecom",
    legal_name="Fibra Sul Telecomunicações Ltda",
    cnpj="41732155000108",
    time_zone="America/Sao_Paulo",
    invoice_prefix="FS",
    share=0.6,
    cities=(
        City("Porto Alegre", "RS", "51", "90", 8),
        City("Canoas", "RS", "51", "92", 4),
        City("Novo Hamburgo", "RS", "51", "93", 3),
        City("Gravataí", "RS", "51", "94", 2),
        City("Caxias do Sul", "RS", "54", "95", 4),
        City("Pelotas", "RS", "53", "96", 3),
        City("Santa Maria", "RS", "55", "97", 2),
    ),
    plans=(
        Plan("Fibra 50 Mega", "internet", "69.90", is_active=False),
        Plan("Fibra 100 Mega", "internet", "79.90"),
        Plan("Fibra 300 Mega", "internet", "99.90"),
        Plan("Fibra 500 Mega", "internet", "119.90"),
        Plan("Fibra 1 Giga", "internet", "169.90"),
        Plan("Empresarial 600 Mega", "internet", "299.90", audience="PJ"),
        Plan("Móvel 15 GB", "mobile", "44.90", audience="any"),
        Plan("Móvel 30 GB", "mobile", "64.90", audience="any"),
        Plan("TV Essencial (80 canais)", "tv", "59.90"),
        Plan("TV Completa HD (150 canais)", "tv", "99.90"),
        Plan("IP fixo", "other", "30.00", audience="PJ"),
        Plan("Wi-Fi Mesh (locação)", "other", "19.90", audience="any"),
        Plan("Suporte Premium 24h", "other", "14.90", audience="any"),
    ),
    condominiums=(
        "Condomínio Residencial Parque das Araucárias",
        "Residencial Jardim Europa",
        "Edifício Solar dos Pampas",
        "Condomínio Vila Verde",
        "Residencial Moinhos Park",
        "Condomínio Terra Nova",
    ),
)

REDE_NORTE = DemoEntity(
    key="rede_norte",
    name="Rede Norte Internet",
    legal_name="Rede Norte Internet S.A.",
    cnpj="27894361000185",
    time_zone="America/Manaus",
    invoice_prefix="RN",
    share=0.4,
    cities=(
        City("Manaus", "AM", "92", "69", 8),
        City("Parintins", "AM", "92", "69", 1),
        City("Belém", "PA", "91", "66", 5),
        City("Ananindeua", "PA", "91", "67", 2),
        City("Santarém", "PA", "93", "68", 2),
    ),
    plans=(
        Plan("Fibra 200 Mega", "internet", "89.90"),
        Plan("Fibra 400 Mega", "internet", "109.90"),
        Plan("Fibra 700 Mega", "internet", "139.90"),
        Plan("Fibra 1 Giga", "internet", "179.90"),
        Plan("Empresarial 500 Mega", "internet", "279.90", audience="PJ"),
        Plan("Móvel 20 GB", "mobile", "49.90", audience="any"),
        Plan("TV Norte Play", "tv", "54.90"),
        Plan("IP fixo", "other", "30.00", audience="PJ"),
        Plan("Roteador Wi-Fi 6 (locação)", "other", "14.90", audience="any"),
    ),
    condominiums=(
        "Condomínio Residencial Rio Negro",
        "Residencial Parque Amazonas",
        "Edifício Torres do Guamá",
        "Condomínio Jardim Tapajós",
        "Residencial Ponta Negra",
    ),
)

ENTITIES: tuple[DemoEntity, ...] = (FIBRA_SUL, REDE_NORTE)

STREETS = (
    "Rua das Flores",
    "Avenida Brasil",
    "Rua XV de Novembro",
    "Rua Sete de Setembro",
    "Avenida Getúlio Vargas",
    "Rua Tiradentes",
    "Rua Duque de Caxias",
    "Rua Marechal Deodoro",
    "Avenida Independência",
    "Rua Santos Dumont",
    "Rua Dom Pedro II",
    "Rua Barão do Rio Branco",
    "Rua Bento Gonçalves",
    "Avenida Presidente Vargas",
    "Rua Voluntários da Pátria",
    "Travessa São José",
    "Rua Castro Alves",
    "Avenida Rui Barbosa",
)

BUSINESS_KINDS = (
    "Padaria",
    "Mercado",
    "Farmácia",
    "Clínica",
    "Escritório de Contabilidade",
    "Auto Peças",
    "Pet Shop",
    "Restaurante",
    "Academia",
    "Ótica",
)

EMAIL_DOMAINS = ("gmail.com", "gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br", "terra.com.br")

OUTAGE_CAUSES = (
    "rompimento de fibra",
    "queda de energia na central",
    "manutenção emergencial na OLT",
)

# Fixed amounts of the manual lines, as decimal strings.
SETUP_FEE = {"PF": "100.00", "PJ": "250.00"}
TECHNICAL_VISIT = "80.00"
ADDRESS_CHANGE = "150.00"
LOYALTY_DISCOUNT = "10.00"
