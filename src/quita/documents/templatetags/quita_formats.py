"""Template filters for documents, e-mails and the portal: `{{ amount|money }}`, `{{ day|day }}`, `{{ x|document }}`."""

from django import template

from quita.documents import formats

register = template.Library()


@register.filter
def money(value):
    return formats.money_format(value)


@register.filter
def day(value):
    return formats.date_format(value)


@register.filter
def document(value):
    return formats.document_format(value or "")


@register.filter
def postal_code(value):
    return formats.postal_code_format(value or "")
