"""Our allauth account adapter: the one place allauth asks us what it cannot know."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from sora_site.ratelimits import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's login and sign-up limits count per: the same one our
        own limits use, which never trusts more of X-Forwarded-For than our proxies
        wrote (allauth's own lookup fails with a 500 on a short or blank header)."""
        return client_ip(request)
