"""Staff pages of banking: upload a bank return file and see what it did; the needs-attention list."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from quita.banking import services
from quita.banking.models import AttentionItem
from quita.core.errors import DomainError
from quita.core.selectors import entities_for_user


class ReturnUploadForm(forms.Form):
    """A return file (retorno) for one of the user's entities."""

    entity = forms.ModelChoiceField(queryset=None, label=_("Entity"))
    file = forms.FileField(label=_("Return file"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].queryset = entities_for_user(user)


@login_required
def return_upload(request):
    """Upload a return file: counts, refused lines and the records that need attention."""
    form = ReturnUploadForm(request.POST or None, request.FILES or None, user=request.user)
    result, error = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.return_import(
                entity_id=form.cleaned_data["entity"].pk,
                content=upload.read(),
                filename=upload.name,
                actor=request.user,
            )
        except DomainError as problem:
            error = problem
    attention = []
    if result is not None:
        attention = AttentionItem.objects.filter(return_record__return_file=result.return_file)
    return render(
        request, "banking/return_upload.html", {"form": form, "result": result, "error": error, "attention": attention}
    )


@login_required
def attention_list(request):
    """Needs attention: money kept but not applied by itself, open first."""
    items = AttentionItem.objects.filter(entity__in=entities_for_user(request.user)).order_by(
        "resolved_at", "-created_at"
    )[:500]
    return render(request, "banking/attention_list.html", {"items": items})
