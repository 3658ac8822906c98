"""System checks for the host configuration: a bad table fails at start, not mid-create."""

from django.core.checks import Error, register

from videos.sora import profiles


@register()
def check_host_profiles(app_configs, **kwargs) -> list[Error]:
    """SORA_HOST_PRESET and SORA_MODELS must describe at least one usable model."""
    return [
        Error(
            problem,
            hint='See the host profiles in README.md ("Choosing a host").',
            id="videos.E001",
        )
        for problem in profiles.check_table()
    ]
