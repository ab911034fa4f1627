from django.urls import path

from quita.portal import cards, views

app_name = "portal"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("access/", views.access_request_view, name="access-request"),
    path("access/<str:uidb64>/<str:token>/", views.access_view, name="access"),
    path("invoices/", views.invoices_view, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_view, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("transactions/", views.transactions_view, name="transactions"),
    path("cards/", views.cards_view, name="cards"),
    # Card screens (issue 6): views in portal/cards.py, templates in the payments app.
    path("cards/customers/<int:pk>/setup/", cards.card_setup, name="card-setup"),
    path("cards/customers/<int:pk>/save/", cards.card_save, name="card-save"),
    path("cards/<int:pk>/default/", cards.card_default, name="card-default"),
    path("cards/<int:pk>/remove/", cards.card_remove, name="card-remove"),
    path("cards/payments/<int:pk>/confirm/", cards.payment_confirm, name="payment-confirm"),
    path("invoices/<int:pk>/pay/card/", cards.invoice_pay_card, name="invoice-pay-card"),
]
