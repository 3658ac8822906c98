"""Production settings pass `check --deploy`; unsafe ones fail with a clear message."""

from sora_site.tests.helpers import PRODUCTION_ENV, run_manage


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_redis_fails_with_the_reason():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert "REDIS_URL is not set" in result.stderr


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_with_the_development_fallback():
    result = run_manage("check", env={"DEBUG": "on"})
    assert result.returncode == 0, result.stderr
