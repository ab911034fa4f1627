"""Pages of banking: the subscriber's boleto flow (/portal/banking/…), the staff's pages (/billing/…) and a contract's
billing settings (/customers/…)."""

from django.urls import path

from quita.banking import portal_views, web_boleto_actions, web_files, web_views, web_wallets

portal_patterns = (
    [
        path("invoices/<int:pk>/boleto/", portal_views.boleto_start, name="boleto-start"),
        path("invoices/<int:pk>/banks/", portal_views.bank_choice, name="banks"),
        path("invoices/<int:pk>/pix/", portal_views.pix_create, name="pix"),
        path("boletos/<int:pk>/", portal_views.boleto_page, name="boleto"),
        path("boletos/<int:pk>/print/", portal_views.boleto_print, name="boleto-print"),
        path("boletos/<int:pk>/pdf/", portal_views.boleto_pdf_view, name="boleto-pdf"),
        # The signed links of before the portal login: they land on the same pages after the login.
        path("invoice/<str:token>/", portal_views.signed_invoice, name="invoice-pay"),
        path("invoice/<str:token>/boleto/<int:boleto_id>/", portal_views.signed_boleto, name="signed-boleto"),
    ],
    "banking-portal",
)
web_patterns = (
    [
        path("bank-returns/upload/", web_views.return_upload, name="return-upload"),
        path("bank-returns/", web_files.return_files, name="return-files"),
        path("bank-returns/<int:pk>/", web_files.return_file, name="return-file"),
        path("remittances/", web_files.remittances, name="remittances"),
        path("remittances/<int:pk>/file/", web_files.remittance_file, name="remittance-file"),
        path("needs-attention/", web_views.attention_list, name="attention"),
        path("needs-attention/<int:pk>/resolve/", web_views.attention_resolve, name="attention-resolve"),
        path("needs-attention/<int:pk>/apply/", web_views.attention_apply, name="attention-apply"),
        path("needs-attention/<int:pk>/credit/", web_views.attention_credit, name="attention-credit"),
        path("invoices/<int:pk>/boleto/", web_views.boleto_issue, name="boleto-issue"),
        path("invoices/<int:pk>/pix/", web_views.pix_create, name="pix-create"),
        path("boletos/", web_views.boleto_list, name="boletos"),
        path("boletos/<int:pk>/", web_views.boleto_detail, name="boleto"),
        path("boletos/<int:pk>/print/", web_views.boleto_print, name="boleto-print"),
        path("boletos/<int:pk>/pdf/", web_views.boleto_pdf_view, name="boleto-pdf"),
        path("boletos/<int:pk>/due-date/", web_boleto_actions.boleto_due_date, name="boleto-due-date"),
        path("boletos/<int:pk>/cancel/", web_boleto_actions.boleto_cancel, name="boleto-cancel"),
        path("wallets/", web_wallets.wallet_list, name="wallets"),
        path("wallets/new/", web_wallets.wallet_new, name="wallet-new"),
        path("wallets/<int:pk>/edit/", web_wallets.wallet_edit, name="wallet-edit"),
    ],
    "banking-web",
)
customer_patterns = (
    [path("<int:pk>/contracts/<int:contract_id>/", web_views.contract_edit, name="contract-edit")],
    "banking-customers",
)
