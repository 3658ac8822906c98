"""WSGI entry point used by gunicorn (`gunicorn sora_site.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sora_site.settings")

application = get_wsgi_application()
