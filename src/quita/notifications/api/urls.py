"""The e-mail action on invoices sits beside billing's router (included before it), like payments' pay."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from quita.notifications.api import views

router = SimpleRouter()
router.register("emails", views.EmailViewSet, basename="email")

urlpatterns = [
    path("invoices/<int:pk>/email/", views.InvoiceEmailView.as_view(), name="invoice-email"),
    *router.urls,
]
