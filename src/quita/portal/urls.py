from django.urls import path

from quita.portal import views

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
]
