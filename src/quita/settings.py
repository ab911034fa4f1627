"""Django settings for Quita, read from the environment (see README: Configuration)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("QUITA_DEBUG", False)
# The fallback starts with "django-insecure-" so that `quita check --deploy` refuses it.
SECRET_KEY = os.environ.get("QUITA_SECRET_KEY") or "django-insecure-development-only-set-QUITA_SECRET_KEY"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("QUITA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "quita.core",
    "quita.customers",
    "quita.billing",
    "quita.payments",
    "quita.banking",
    "quita.web",
    "quita.documents",
    "quita.notifications",
    "quita.portal",
    "quita.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quita.urls"
WSGI_APPLICATION = "quita.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "quita.web.context.web",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{Path.cwd() / 'quita.sqlite3'}",
        conn_max_age=int(os.environ.get("QUITA_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once; IMMEDIATE takes the write lock at BEGIN,
    # which is what SQLite offers in place of row locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Brazilian Portuguese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("QUITA_TIME_ZONE", "America/Sao_Paulo")
# Chunks a billing run works on side by side on PostgreSQL (empty: the CPUs, at most 4).
BILLING_WORKERS = int(os.environ.get("QUITA_BILLING_WORKERS") or 0) or None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The web UI's front-end libraries come from the npm registry (package.json; `npm ci` in scripts/setup-env)
# and are served straight from node_modules, so no third-party code is committed (docs/decisions/0010).
NODE_MODULES = Path(os.environ.get("QUITA_NODE_MODULES", BASE_DIR.parent.parent / "node_modules"))
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/axe-core", NODE_MODULES / "axe-core"),
]
STATIC_ROOT = Path(os.environ.get("QUITA_STATIC_ROOT", Path.cwd() / "staticfiles"))
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("QUITA_MEDIA_ROOT", Path.cwd() / "media"))

# The public address of this Quita (e-mails link to the subscriber portal with it).
QUITA_BASE_URL = os.environ.get("QUITA_BASE_URL", "http://127.0.0.1:8000")

# Stripe.js, which the pages that take a card load (the card is typed into Stripe's own field). Stripe asks that it
# always come from js.stripe.com; `check --deploy` refuses anything else. Only tests point it at a fake Stripe.js.
STRIPE_JS_URL = os.environ.get("QUITA_STRIPE_JS_URL", "").strip() or "https://js.stripe.com/v3/"

# E-mail: SMTP by default; any django-anymail provider by QUITA_EMAIL_PROVIDER (README: E-mail).
# QUITA_ANYMAIL_<SETTING>=value becomes ANYMAIL["<SETTING>"], e.g. QUITA_ANYMAIL_MAILJET_API_KEY.
QUITA_EMAIL_PROVIDER = os.environ.get("QUITA_EMAIL_PROVIDER", "smtp").strip().lower()
if os.environ.get("QUITA_EMAIL_BACKEND"):
    EMAIL_BACKEND = os.environ["QUITA_EMAIL_BACKEND"]
elif QUITA_EMAIL_PROVIDER in {"", "smtp"}:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif QUITA_EMAIL_PROVIDER == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = f"anymail.backends.{QUITA_EMAIL_PROVIDER}.EmailBackend"
EMAIL_HOST = os.environ.get("QUITA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("QUITA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("QUITA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("QUITA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("QUITA_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("QUITA_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("QUITA_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("QUITA_EMAIL_FROM", "Quita <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {key[len("QUITA_ANYMAIL_") :]: value for key, value in os.environ.items() if key.startswith("QUITA_ANYMAIL_")}
# Send each e-mail right after the request's commit (on) or only from `quita send-emails` (off).
QUITA_EMAIL_SEND_ON_COMMIT = _env_bool("QUITA_EMAIL_SEND_ON_COMMIT", True)
# The subscriber portal's login limits count per client address: behind a reverse proxy, take it from
# the last X-Forwarded-For entry (set this only when the proxy always writes that header).
QUITA_PORTAL_TRUST_X_FORWARDED_FOR = _env_bool("QUITA_PORTAL_TRUST_X_FORWARDED_FOR", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "quita.core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Quita API",
    "DESCRIPTION": "Billing and collections for internet service providers.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get stable component names (strings: settings cannot import models).
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "quita.billing.models.InvoiceStatus",
        "ContractStatusEnum": "quita.customers.models.ContractStatus",
        "PaymentStatusEnum": "quita.payments.models.PaymentStatus",
        "PaymentMethodEnum": "quita.payments.models.PaymentMethodKind",
        "ManualPaymentMethodEnum": "quita.payments.api.serializers.MANUAL_METHOD_CHOICES",
        "WalletKindEnum": "quita.banking.models.WalletKind",
        "PixChargeKindEnum": "quita.banking.models.PixChargeKind",
        "CnabLayoutEnum": "quita.banking.models.CnabLayout",
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("QUITA_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = _env_bool("QUITA_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = _env_bool("QUITA_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("QUITA_HSTS_SECONDS", "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("QUITA_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
    SECURE_HSTS_PRELOAD = _env_bool("QUITA_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = (
        os.environ.get("QUITA_SILENCED_CHECKS", "").split(",") if os.environ.get("QUITA_SILENCED_CHECKS") else []
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QUITA_LOG_LEVEL", "WARNING")},
}
