from django.urls import path

from quita.documents import views

app_name = "documents"

urlpatterns = [
    path("billing/invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
]
