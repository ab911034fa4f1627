"""Browser tests: a live server on 127.0.0.1 and Debian's Chromium driven by Playwright for Python.

Playwright's own browser download does not work on this machine: the tests launch `/usr/bin/chromium`
(`executable_path`), which `scripts/test` installs with apt when it is missing. Screenshots go to
`test-output/browser/` (or `$QUITA_TEST_OUTPUT`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# pytest-django's live server listens here (its default is "localhost").
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = os.environ.get("QUITA_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("QUITA_TEST_OUTPUT", ROOT / "test-output")) / "browser"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def pytest_collection_modifyitems(config, items):
    """The browser tests run on SQLite (the pages are the same on PostgreSQL, which tests/web covers):
    they are the slowest part of the suite. QUITA_BROWSER_ON_POSTGRES=1 runs them there too."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and not os.environ.get("QUITA_BROWSER_ON_POSTGRES"):
        skip = pytest.mark.skip(reason="browser tests run on SQLite (QUITA_BROWSER_ON_POSTGRES=1 for PostgreSQL)")
        for item in items:
            if "tests/browser/" in str(item.path).replace(os.sep, "/"):
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API keeps an event loop in the test's thread, and the tests (and their database set-up
    and flush) call Django's ORM there: allow it around each browser test only, because `check --deploy` in
    another test refuses the variable."""
    if "tests/browser/" not in str(item.path).replace(os.sep, "/"):  # this hook is called for every test
        return (yield)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """The categories the migration adds: a transactional test's flush may have removed them."""
    from quita.customers.models import Category

    for code, name in (("internet", "Internet"), ("mobile", "Mobile"), ("tv", "TV"), ("other", "Other")):
        Category.objects.get_or_create(code=code, defaults={"name": name})


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def runs_inside_the_request(settings):
    """The invoice run in the request: a second connection to the in-memory SQLite test database would fail."""
    settings.WEB_RUNS_IN_BACKGROUND = False


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module (closed at its end, so no event loop outlives the browser tests)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test (it installs Debian's chromium package)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def output() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture
def open_page(browser, live_server):
    """A logged-in page: `open_page(user, password, locale="en-US", width=1280)`."""
    contexts = []

    def start(username: str, password: str, *, locale: str = "en-US", width: int = 1280, height: int = 900):
        context = browser.new_context(
            locale=locale, viewport={"width": width, "height": height}, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield start
    for context in contexts:
        context.close()


def axe_violations(page, selector: str | None = None) -> list[dict]:
    """axe-core (from the npm registry) run in the page (or in one element): its serious and critical violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (selector) => await axe.run(selector || document, {resultTypes: ['violations']})", selector
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def open_modal(page, trigger) -> None:
    """Click a button that loads a modal with htmx, and wait until its form is there."""
    trigger.click()
    page.wait_for_selector("#modal.show #modal-content form, #modal.show #modal-content .modal-body dl")
    # Open when the focus is inside it (Bootstrap moves it there at the end of the transition).
    page.wait_for_function("document.getElementById('modal').contains(document.activeElement)", timeout=5000)
