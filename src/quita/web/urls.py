"""Addresses of the staff UI (bookmarkable; filters live in the query string)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from quita.web import lists, views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="web/registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/registration/password_change.html", success_url="/password/done/"
        ),
        name="password-change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/registration/password_change_done.html"),
        name="password-change-done",
    ),
    path("entity/", views.entity_switch, name="entity-switch"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/billing/", views.customer_billing, name="customer-billing"),
    path("customers/<int:pk>/transactions/add/", views.transaction_add, name="transaction-add"),
    path("customers/<int:pk>/invoices/generate/", views.invoice_generate, name="invoice-generate"),
    path("customers/<int:pk>/invoices/pay/", views.invoices_pay, name="invoices-pay"),
    path("customers/<int:pk>/invoices/void/", views.invoices_void, name="invoices-void"),
    path("transactions/<int:pk>/void/", views.transaction_void, name="transaction-void"),
    path("billing/transactions/", lists.transactions, name="transactions"),
    path("billing/invoices/", lists.invoices, name="invoices"),
    path("billing/invoices/run/", lists.invoice_run, name="invoice-run"),
    path("billing/runs/<int:pk>/", lists.run_detail, name="run"),
    path("billing/invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("billing/invoices/<int:pk>/modal/", views.invoice_modal, name="invoice-modal"),
    path("billing/invoices/<int:pk>/pay/", views.invoice_pay, name="invoice-pay"),
    path("billing/invoices/<int:pk>/void/", views.invoice_void, name="invoice-void"),
    path("billing/invoices/<int:pk>/refund/", views.invoice_refund, name="invoice-refund"),
    path("billing/invoices/<int:pk>/email/", views.invoice_email, name="invoice-email"),
]
