"""The product's settings with two changes, for bench_pages' experiment only.

`DJANGO_SETTINGS_MODULE=bench.settings_variant` runs the site exactly as configured by
`sora_site.settings`, except:

* CONN_HEALTH_CHECKS off: Django otherwise runs `SELECT 1` before the first query of
  every request on a persistent connection (one more round trip per page);
* sessions in `cached_db`: read from Redis, written through to PostgreSQL, instead of a
  query per request.

It measures what those two settings cost the list page; nothing in the application is
edited, and nothing but the benchmark uses this module.
"""

from sora_site.settings import *

DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
