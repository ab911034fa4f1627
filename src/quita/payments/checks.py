"""System checks of the payments app: Stripe.js must come from Stripe in production."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

STRIPE_JS_ORIGIN = "https://js.stripe.com/"


@checks.register(checks.Tags.security, deploy=True)
def stripe_js_from_stripe(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: the card pages load Stripe.js from js.stripe.com, never from a test server."""
    url = getattr(settings, "STRIPE_JS_URL", STRIPE_JS_ORIGIN)
    if url.startswith(STRIPE_JS_ORIGIN):
        return []
    return [
        checks.Error(
            f"QUITA_STRIPE_JS_URL is {url!r}: in production Stripe.js must be loaded from {STRIPE_JS_ORIGIN}.",
            hint="Unset QUITA_STRIPE_JS_URL (a fake Stripe.js is for tests only).",
            id="quita.payments.E001",
        )
    ]
