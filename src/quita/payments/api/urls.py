"""URLs of the payments app's API: /api/payments/ and the pay actions on invoices.

The pay actions are explicit paths under `invoices/` so the billing app never imports payments; they
are included before the billing router.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from quita.payments.api import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path("invoices/pay-many/", views.InvoicesPayManyView.as_view(), name="invoice-pay-many"),
    path("invoices/<int:pk>/pay/", views.InvoicePayView.as_view(), name="invoice-pay"),
    *router.urls,
]
