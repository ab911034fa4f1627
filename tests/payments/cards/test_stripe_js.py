"""Where the card pages load Stripe.js from: a setting (js.stripe.com by default), refused by `check --deploy`
when it points anywhere else."""

from __future__ import annotations

from django.core import checks
from django.template import Context, Template

from quita.payments.checks import stripe_js_from_stripe


def test_stripe_js_comes_from_stripe_by_default(settings):
    assert settings.STRIPE_JS_URL == "https://js.stripe.com/v3/"
    assert stripe_js_from_stripe() == []
    html = Template('{% load quita_cards %}<script src="{% stripe_js_url %}"></script>').render(Context())
    assert html == '<script src="https://js.stripe.com/v3/"></script>'


def test_the_pages_use_the_setting(settings):
    settings.STRIPE_JS_URL = "http://127.0.0.1:9/js.stripe.com/v3/"
    html = Template("{% load quita_cards %}{% stripe_js_url %}").render(Context())
    assert html == "http://127.0.0.1:9/js.stripe.com/v3/"


def test_deploy_check_refuses_a_test_server(settings):
    settings.STRIPE_JS_URL = "http://127.0.0.1:9/js.stripe.com/v3/"
    errors = stripe_js_from_stripe()
    assert [error.id for error in errors] == ["quita.payments.E001"]
    assert "127.0.0.1:9" in errors[0].msg
    deploy = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    assert "quita.payments.E001" in {message.id for message in deploy}
    assert "quita.payments.E001" not in {message.id for message in checks.run_checks(tags=[checks.Tags.security])}
