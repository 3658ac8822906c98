"""A fresh clone's development setup: `make run` leaves a .env that manage.py reads.

The Makefile's `.env` step runs for real (make) in a copy of the project, so the
project's own .env is never touched; manage.py is then run from another directory,
as an operator typing `.venv/bin/python manage.py …` from anywhere would.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sora_site.tests.helpers import PROJECT_DIR

CODE = ["manage.py", "Makefile", ".env.example", "accounts", "videos", "sora_site"]
CODE += ["templates", "static"]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None, reason="needs GNU make, as `make run` does"
)


@pytest.fixture
def project(tmp_path) -> Path:
    """The project's code, without its .env, database or media."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in CODE:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(
                source, copy / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, copy / name)
    return copy


def make_env_file(project: Path) -> subprocess.CompletedProcess:
    """`make .env`: the step `make run` takes before anything else it starts."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), ".env"],
        env=minimal_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def manage_check(project: Path, cwd: Path) -> subprocess.CompletedProcess:
    """`manage.py check` with no DEBUG or SECRET_KEY in the environment."""
    return subprocess.run(
        [sys.executable, str(project / "manage.py"), "check"],
        env=minimal_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def minimal_env() -> dict[str, str]:
    return {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}


def test_make_run_leaves_a_development_env_that_manage_py_reads_from_anywhere(
    project, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = manage_check(project, cwd=elsewhere)
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr

    result = make_env_file(project)
    assert result.returncode == 0, result.stderr
    assert "Created .env from .env.example" in result.stdout
    env_file = (project / ".env").read_text()
    assert env_file == (project / ".env.example").read_text()
    assert "\nDEBUG=on\n" in env_file

    checked = manage_check(project, cwd=elsewhere)
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


def test_make_run_keeps_an_existing_env(project):
    (project / ".env").write_text("DEBUG=off\nSECRET_KEY=mine\n")
    result = make_env_file(project)
    assert result.returncode == 0, result.stderr
    assert "Created" not in result.stdout
    assert (project / ".env").read_text() == "DEBUG=off\nSECRET_KEY=mine\n"


def test_development_settings_write_emails_to_the_folder_the_readme_names():
    script = (
        "from django.conf import settings;"
        "m = settings.MAILERS['default'];"
        "print(m['BACKEND'], m['OPTIONS']['directory'])"
    )
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), "shell", "-c", script],
        env={**minimal_env(), "DEBUG": "on", "EMAIL_URL": ""},
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    backend, directory = result.stdout.split()[-2:]
    assert backend == "sora_site.mail.FolderEmailBackend"
    assert Path(directory) == PROJECT_DIR / "media" / "emails"
    assert "`media/emails/`" in (PROJECT_DIR / "README.md").read_text()


def test_production_email_url_is_used_as_given():
    script = "from django.conf import settings; print(settings.MAILERS['default'])"
    env = {
        **minimal_env(),
        "DEBUG": "on",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    }
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), "shell", "-c", script],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "django.core.mail.backends.smtp.EmailBackend" in result.stdout
    assert "smtp.example.com" in result.stdout
