"""The pt-BR catalogue is compiled and used: Portuguese by default, English on request."""

import ast
import gettext as gettext_module
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

import quita
from quita.billing.models import InvoiceStatus


def test_payment_title_in_portuguese():
    """The payment title of the ledger, in pt-BR."""
    with translation.override("pt-br"):
        assert gettext("Payment of invoice #%(number)s") % {"number": "FS-2025-000001"} == (
            "Pagamento da fatura #FS-2025-000001"
        )


def test_labels_in_portuguese_and_english():
    """Choice labels follow the active language."""
    with translation.override("pt-br"):
        assert str(InvoiceStatus.UNPAID.label) == "Em aberto"
    with translation.override("en"):
        assert str(InvoiceStatus.UNPAID.label) == "Unpaid"


def test_portuguese_is_the_default_language(settings):
    """With no language activated (the CLI, jobs), Django falls back to LANGUAGE_CODE: pt-BR."""
    assert settings.LANGUAGE_CODE == "pt-br"
    translation.deactivate()
    assert gettext("Payment of invoice #%(number)s").startswith("Pagamento da fatura")


def _read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgstr (joined continuation lines) and flags."""
    entries, current, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = None, None
            continue
        current = current if current is not None else {"flags": "", "msgid": "", "msgstr": ""}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return entries


CATALOGUES = sorted(Path(quita.__file__).parent.glob("**/locale/pt_BR/LC_MESSAGES/django.po"))


def test_the_project_catalogue_is_among_them():
    """The project-wide catalogue exists; apps may keep their own beside it (`<app>/locale/`)."""
    project = Path(quita.__file__).parent / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
    assert project in CATALOGUES
    assert len([e for e in _read_po(project) if e["msgid"]]) > 250


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_every_message_is_translated_and_compiled(po):
    """Every msgid has a translation, none is fuzzy, and the committed .mo is compiled from this .po."""
    entries = [e for e in _read_po(po) if e["msgid"]]
    assert [e["msgid"] for e in entries if not e["msgstr"]] == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    with open(po.with_suffix(".mo"), "rb") as compiled:
        catalog = gettext_module.GNUTranslations(compiled)
    stale = [
        e["msgid"]
        for e in entries
        if (catalog.pgettext(e["msgctxt"], e["msgid"]) if "msgctxt" in e else catalog.gettext(e["msgid"]))
        != e["msgstr"]
    ]
    assert stale == [], "run `quita compilemessages` in src/quita"
