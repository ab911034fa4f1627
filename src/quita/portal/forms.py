from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    document = forms.CharField(
        label=_("CPF or CNPJ"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class AccessRequestForm(forms.Form):
    document = forms.CharField(
        label=_("CPF or CNPJ"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "username", "autofocus": True}),
    )


class PasswordSetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    confirmation = forms.CharField(
        label=_("New password again"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
