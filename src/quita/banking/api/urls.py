"""URLs of the banking API."""

from rest_framework.routers import SimpleRouter

from quita.banking.api import views

router = SimpleRouter()
router.register("wallets", views.WalletViewSet, basename="wallet")
router.register("boletos", views.BoletoViewSet, basename="boleto")
router.register("pix-charges", views.PixChargeViewSet, basename="pix-charge")
router.register("remittances", views.RemittanceViewSet, basename="remittance")
router.register("bank-returns", views.ReturnFileViewSet, basename="bank-return")
router.register("needs-attention", views.AttentionViewSet, basename="needs-attention")

urlpatterns = router.urls
