"""URLs of the billing app's API: /api/transactions/, /api/invoices/ and a customer's billing summary."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from quita.billing.api import views

router = SimpleRouter()
router.register("transactions", views.TransactionViewSet, basename="transaction")
router.register("invoices", views.InvoiceViewSet, basename="invoice")

urlpatterns = [
    path(
        "customers/<int:pk>/billing-summary/",
        views.CustomerBillingSummaryView.as_view(),
        name="customer-billing-summary",
    ),
    *router.urls,
]
