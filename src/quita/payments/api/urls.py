"""URLs of the payments app's API: /api/payments/ and the pay actions on invoices.

The pay actions are explicit paths under `invoices/` so the billing app never imports payments; they
are included before the billing router.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from quita.payments.api import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("payment-methods", views.CardViewSet, basename="payment-method")
router.register("refunds", views.RefundViewSet, basename="refund")
router.register("autopay-attempts", views.AutopayAttemptViewSet, basename="autopay-attempt")

urlpatterns = [
    path("webhooks/stripe/", views.StripeWebhookView.as_view(), name="webhook-stripe"),
    path("customers/<int:pk>/payment-methods/setup/", views.CardSetupView.as_view(), name="customer-card-setup"),
    path("customers/<int:pk>/payment-methods/", views.CustomerCardsView.as_view(), name="customer-cards"),
    path("customers/<int:pk>/autopay/", views.CustomerAutopayView.as_view(), name="customer-autopay"),
    path("invoices/pay-many/", views.InvoicesPayManyView.as_view(), name="invoice-pay-many"),
    path("invoices/<int:pk>/pay/", views.InvoicePayView.as_view(), name="invoice-pay"),
    *router.urls,
]
