"""Top-level URLconf: the routes in docs/routes.md, app by app.

`admin.site` is our `SoraAdminSite` (accounts/admin_login.py): its login page only
sends people through allauth's login (rate-limited) and two-factor step.
"""

from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from sora_site.health import health
from sora_site.ratelimits import rate_limited

# allauth answers its own limits (sign-up, login) with this handler too.
handler429 = rate_limited

urlpatterns = [
    path("", account_views.landing, name="landing"),
    path("health", health, name="health"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/", include("allauth.urls")),
    path("videos/", include("videos.urls")),
    path("admin/", admin.site.urls),
]
