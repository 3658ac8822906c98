"""Run `manage.py` in a child process with a chosen environment, as an operator would."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "off",
    "SECRET_KEY": "a-real-looking-production-secret-" + "x7Hq9" * 8,
    "ALLOWED_HOSTS": "sora.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://sora.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
}


def run_manage(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run manage.py with only PATH/HOME from our environment plus `env`."""
    base = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        env={**base, **env},
        cwd=PROJECT_DIR,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
