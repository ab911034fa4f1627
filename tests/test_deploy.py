"""`quita check --deploy` passes with production values, and the settings read the environment."""

from __future__ import annotations

import os
import subprocess
import sys

PRODUCTION = {
    "QUITA_SECRET_KEY": "k9-" + "x7Qp2mZ4vW8rT1sY6uB3nC5dF0gH" * 3,
    "QUITA_DEBUG": "0",
    "QUITA_ALLOWED_HOSTS": "quita.example.com",
    "QUITA_SSL_REDIRECT": "1",
    "QUITA_HSTS_SECONDS": "31536000",
}


def _quita(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUITA_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "quita.cli", *args], env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_values(tmp_path):
    result = _quita(
        "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=f"sqlite:///{tmp_path}/q.sqlite3", **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_with_the_development_secret(tmp_path):
    values = {**PRODUCTION, "QUITA_SECRET_KEY": ""}
    result = _quita(
        "check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=f"sqlite:///{tmp_path}/q.sqlite3", **values
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_database_url_and_time_zone_come_from_the_environment(tmp_path):
    code = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.DEBUG)"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='quita.settings'; django.setup(); {code}",
        ],
        env={
            **os.environ,
            "DATABASE_URL": "postgres://u@127.0.0.1:5999/q",
            "QUITA_TIME_ZONE": "America/Manaus",
            "QUITA_DEBUG": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "America/Manaus", "True"], result.stderr
