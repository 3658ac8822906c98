"""ASGI entry point, for completeness; production serves WSGI through gunicorn."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sora_site.settings")

application = get_asgi_application()
