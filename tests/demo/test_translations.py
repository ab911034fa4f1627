"""The pt-BR catalogue is compiled and used: Portuguese by default, English on request."""

import gettext as gettext_module
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
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


CATALOGUES = sorted(Path(quita.__file__).parent.glob("**/locale/pt_BR/LC_MESSAGES/django.po"))


def test_the_project_catalogue_is_among_them():
    """The project-wide catalogue exists; apps may keep their own beside it (`<app>/locale/`)."""
    project = Path(quita.__file__).parent / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
    assert project in CATALOGUES
    assert len(polib.pofile(str(project))) > 250


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_every_message_is_translated_and_compiled(po):
    """Every msgid has a translation (each plural form too), none is fuzzy, and the committed .mo is compiled from
    this .po."""
    entries = [e for e in polib.pofile(str(po)) if not e.obsolete]
    assert [e.msgid for e in entries if not e.translated()] == []
    assert [e.msgid for e in entries if e.fuzzy] == []
    with open(po.with_suffix(".mo"), "rb") as compiled:
        catalog = gettext_module.GNUTranslations(compiled)
    stale = [e.msgid for e in entries if _compiled(catalog, e) != _written(e)]
    assert stale == [], "run scripts/messages"


def _compiled(catalog, entry):
    if entry.msgid_plural:  # pt-BR: one form for 1, the other for 2 and more
        if entry.msgctxt:
            return [catalog.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
        return [catalog.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
    return catalog.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else catalog.gettext(entry.msgid)


def _written(entry):
    return [entry.msgstr_plural[0], entry.msgstr_plural[1]] if entry.msgid_plural else entry.msgstr


def test_every_string_of_the_sources_is_in_a_catalogue_and_translated(tmp_path):
    """Django's makemessages over a copy of the sources (what scripts/messages runs) leaves no entry without its
    pt-BR translation and none fuzzy: a string added or changed in the code fails here until it is translated."""
    copy = tmp_path / "quita"
    shutil.copytree(Path(quita.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "pt_BR", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "quita.settings"},
    )
    missing = {}
    for po in sorted(copy.glob("**/locale/pt_BR/LC_MESSAGES/django.po")):
        entries = [e for e in polib.pofile(str(po)) if not e.obsolete]
        if untranslated := [e.msgid for e in entries if not e.translated() or e.fuzzy]:
            missing[str(po.relative_to(copy))] = untranslated
    assert missing == {}, "run scripts/messages and translate these entries"
