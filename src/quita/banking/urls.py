"""Pages of banking: the subscriber's boleto flow (/portal/…) and the staff's return upload (/billing/…)."""

from django.urls import path

from quita.banking import portal_views, web_views

portal_patterns = (
    [
        path("invoice/<str:token>/", portal_views.invoice_pay, name="invoice-pay"),
        path("invoice/<str:token>/boleto/<int:boleto_id>/", portal_views.boleto_page, name="boleto"),
    ],
    "banking-portal",
)
web_patterns = (
    [
        path("bank-returns/upload/", web_views.return_upload, name="return-upload"),
        path("needs-attention/", web_views.attention_list, name="attention"),
    ],
    "banking-web",
)
