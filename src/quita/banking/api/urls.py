"""URLs of the banking API."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from quita.banking.api import views

router = SimpleRouter()
router.register("wallets", views.WalletViewSet, basename="wallet")
router.register("boletos", views.BoletoViewSet, basename="boleto")
router.register("pix-charges", views.PixChargeViewSet, basename="pix-charge")
router.register("remittances", views.RemittanceViewSet, basename="remittance")
router.register("bank-returns", views.ReturnFileViewSet, basename="bank-return")
router.register("needs-attention", views.AttentionViewSet, basename="needs-attention")

urlpatterns = [
    path("pix/webhook/<int:entity_id>/<str:token>/pix", views.PixWebhookView.as_view(), name="pix-webhook"),
    *router.urls,
]
