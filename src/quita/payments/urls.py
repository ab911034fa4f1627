"""Addresses of the staff card screens (under /cards/); the REST API is in api/urls.py."""

from django.urls import path

from quita.payments import views

app_name = "payments"

urlpatterns = [
    path("customers/<int:pk>/setup/", views.card_setup, name="card-setup"),
    path("customers/<int:pk>/save/", views.card_save, name="card-save"),
    path("<int:pk>/default/", views.card_default, name="card-default"),
    path("<int:pk>/remove/", views.card_remove, name="card-remove"),
    path("invoices/<int:pk>/pay/", views.invoice_pay_card, name="invoice-pay-card"),
]
