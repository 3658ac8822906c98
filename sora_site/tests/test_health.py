"""`/health` answers 200 when the database does and 503 when it does not."""

import json
import os

import pytest

from sora_site.tests.helpers import PRODUCTION_ENV, run_manage


@pytest.mark.django_db
def test_health_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_reports_an_unreachable_database():
    """A real process whose DATABASE_URL points at a port nobody listens on."""
    script = (
        "from django.test import Client;"
        "r = Client().get('/health', HTTP_HOST='sora.example.com', secure=True);"
        "print('RESULT', r.status_code, r.content.decode())"
    )
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/unreachable",
        "DJANGO_SETTINGS_MODULE": "sora_site.settings",
    }
    result = run_manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    _, status, body = line.split(" ", 2)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "error"}


def test_health_is_public_and_get_only(client, db):
    assert client.post("/health").status_code == 405
    assert os.environ.get("SECRET_KEY")  # sanity: tests never run without one
