"""Template context every page needs: the name of the host users' videos come from."""

from django.http import HttpRequest

from videos import sora


def host(request: HttpRequest) -> dict[str, str]:
    return {"host_name": sora.host_name()}
