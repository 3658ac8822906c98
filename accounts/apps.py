from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users"

    def ready(self) -> None:
        from accounts import (
            checks,  # noqa: F401  (registers our system checks)
            email_claims,  # noqa: F401  (connects its receiver)
        )
