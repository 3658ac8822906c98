"""Sora Studio settings: every value comes from the environment (or an optional `.env`).

`.env.example` lists each variable with its default; the README's configuration table
mirrors it. Production is the default posture: DEBUG is off unless asked for, and
without DEBUG there is no fallback secret key.
"""

import json
import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from sora_site import object_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The project's own .env, whatever the working directory (`make run` leaves a
# development one, copied from .env.example, when there is none).
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env); "
            "only DEBUG=on runs with a development fallback."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, behind allauth's login and two-factor (accounts/admin_login.py).
    "accounts.admin_login.SoraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.humanize",
    "accounts",
    "videos",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body (sessions, CSRF): oversized ones are refused unread.
    "sora_site.request_size.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sora_site.private_pages.PrivatePagesMiddleware",
    "accounts.banned.BannedSessionMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "sora_site.ratelimits.SiteRateLimitMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "sora_site.urls"
WSGI_APPLICATION = "sora_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "videos.context_processors.host",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the poller share one file: wait for the lock instead of
    # failing with "database is locked", and let readers work during a write (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    # A file, not memory, so that tests can run the poller and gunicorn as real
    # processes against the test database; one per test session.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"sora-test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits count here, so it must be shared by every process) ----------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sora"),
        }
    }
    # Sessions are read from Redis (written through to the database): one query less
    # on every logged-in page. Never from local memory: a session ended in one process
    # would live on in another's copy.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Local memory is per process: correct only for the single-process `make run`.
    # Our own check (accounts.checks) refuses this setup when DEBUG is off.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# How many reverse proxies of ours sit in front (each appends to X-Forwarded-For);
# 0 = clients connect directly and REMOTE_ADDR is their address.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
RATELIMIT_IP_META_KEY = "sora_site.ratelimits.client_ip"
# Per user: valid creates and remixes together, and every page a user asks for.
RATE_LIMIT_CREATE = env.str("RATE_LIMIT_CREATE", default="10/m")
RATE_LIMIT_SITE = env.str("RATE_LIMIT_SITE", default="300/15m")
RATELIMIT_VIEW = "sora_site.ratelimits.rate_limited"
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_HOPS

# --- Authentication (django-allauth, email as the login) ----------------------------
AUTH_USER_MODEL = "accounts.User"
# allauth's backend alone (it is Django's ModelBackend plus email login): with both,
# a wrong password was checked twice and a right one once, so the time a login took
# told them apart. Now every attempt costs one password hash, account or not.
# Ours is allauth's with a cheaper read of each session's user (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/videos/"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory: a new account logs in once its address is confirmed. It is also what
# lets sign-up answer a taken address exactly like a free one (no enumeration).
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Confirming in the browser that signed up logs in (allauth only does it there).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Only a login or a verified address is "taken" (accounts/email_claims.py).
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {
    # Sign-up and login attempts per client IP: the abuse surface of a paid product.
    "signup": "5/15m/ip",
    # Every login attempt, right or wrong, from one address (an office shares one):
    # generous; guessing is held back by the failed-login limits below.
    "login": "30/15m/ip",
    # Failed logins: per address, and per account (5 in 5 minutes) wherever from.
    "login_failed": "10/m/ip,5/5m/key",
}

# Two-factor authentication and passkeys (allauth.mfa). Staff must have an
# authenticator app and pass its step before the admin opens (accounts/admin_login.py);
# anyone may add passkeys and sign in with one. WebAuthn needs HTTPS, or
# http://localhost in development: MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN stays off (it
# turns off the origin check altogether, and fido2 2.x accepts localhost without it).
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Sora Studio"
MFA_FORMS = {
    "authenticate": "accounts.mfa.AuthenticateForm",
    "add_webauthn": "accounts.mfa.AddPasskeyForm",
}

# --- Email (Django 6.1 mailers) -------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Sora Studio <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Emails speak as the product: allauth's default prefix is the request's host
# ("[127.0.0.1:8000] "), since there is no sites framework; our templates in
# templates/account/email/ do the same for greetings and sign-offs.
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Sora Studio] "
EMAIL_SUBJECT_PREFIX = ACCOUNT_EMAIL_SUBJECT_PREFIX


def _mailer_from_url(url: str) -> dict:
    """Map django-environ's parse of EMAIL_URL onto a MAILERS entry."""
    parsed = environ.Env.email_url_config(url)
    backend = parsed["EMAIL_BACKEND"]
    options: dict = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            "host": parsed["EMAIL_HOST"],
            "port": parsed["EMAIL_PORT"],
            "username": parsed["EMAIL_HOST_USER"],
            "password": parsed["EMAIL_HOST_PASSWORD"],
            "use_tls": parsed.get("EMAIL_USE_TLS", False),
            "use_ssl": parsed.get("EMAIL_USE_SSL", False),
            "timeout": 10,
        }
    elif backend.endswith("filebased.EmailBackend"):
        options = {"file_path": "/" + parsed["EMAIL_FILE_PATH"]}
    return {"BACKEND": backend, "OPTIONS": options}


# Development without EMAIL_URL: each email becomes a readable file in media/emails/
# (git-ignored, never served) and the console gets one line naming it; Django's
# console backend prints quoted-printable bodies whose links break when copied.
EMAIL_FOLDER = BASE_DIR / "media" / "emails"
_EMAIL_URL = env.str("EMAIL_URL", default="")
if _EMAIL_URL:
    MAILERS = {"default": _mailer_from_url(_EMAIL_URL)}
elif DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "sora_site.mail.FolderEmailBackend",
            "OPTIONS": {"directory": str(EMAIL_FOLDER)},
        }
    }
else:
    MAILERS = {"default": _mailer_from_url("consolemail://")}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploaded reference images and archived videos. Any Django storage backend works,
# e.g. S3-compatible storage with django-storages (see the README).
try:
    _STORAGE_OPTIONS = json.loads(env.str("STORAGE_OPTIONS", default="") or "{}")
except json.JSONDecodeError as error:
    raise ImproperlyConfigured(f"STORAGE_OPTIONS is not valid JSON: {error}") from error
_STORAGE_BACKEND = env.str(
    "STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
)
STORAGES = {
    "default": {
        "BACKEND": _STORAGE_BACKEND,
        # S3: multipart uploads with flat memory (sora_site/object_storage.py).
        "OPTIONS": object_storage.storage_options(_STORAGE_BACKEND, _STORAGE_OPTIONS),
    },
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
# Object storage: the content view redirects players to a signed URL that lives this
# many seconds (videos/storage_urls.py); 0 streams the bytes through Django instead.
STORAGE_PRESIGNED_SECONDS = env.int("STORAGE_PRESIGNED_SECONDS", default=300)
# Where browsers fetch those URLs from, for the CSP below (space-separated origins);
# by default the endpoint, custom domain or AWS hosts of STORAGE_OPTIONS.
STORAGE_PUBLIC_ORIGIN = env.str("STORAGE_PUBLIC_ORIGIN", default="")
# Behind nginx (docs/nginx/sora.conf): the content view checks who may see an archived
# file, then names it in X-Accel-Redirect under this internal location and nginx sends
# the bytes. Empty: gunicorn sends them. Only for the file-system storage.
MEDIA_ACCEL_REDIRECT_PREFIX = env.str("MEDIA_ACCEL_REDIRECT_PREFIX", default="")
if MEDIA_ACCEL_REDIRECT_PREFIX and not (
    MEDIA_ACCEL_REDIRECT_PREFIX.startswith("/")
    and MEDIA_ACCEL_REDIRECT_PREFIX.endswith("/")
):
    raise ImproperlyConfigured(
        "MEDIA_ACCEL_REDIRECT_PREFIX must start and end with '/', e.g. /_protected_media/"
    )

# --- Security -----------------------------------------------------------------------------
# HTTPS by default without DEBUG; each part can be turned off for a local trial of the
# production settings over plain http (README "Deploying").
# The header a TLS-terminating proxy of ours sets (and strips from clients) to say the
# request came in over https; empty when nothing in front of us sets it.
_PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
    if _PROXY_SSL_HEADER
    else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Links in emails: https unless the site runs without TLS (DEBUG, or a plain-http trial).
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SESSION_COOKIE_SECURE else "http"
# The largest request body any form takes: a 10 MB reference image and the fields
# around it. Larger ones are refused from their Content-Length, unread (413).
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=11 * 1024 * 1024)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Source lists of text (CSP's members are str): the storage origins are added below.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if STORAGE_PRESIGNED_SECONDS > 0:
    _STORAGE_ORIGINS = object_storage.public_origins(
        _STORAGE_BACKEND, _STORAGE_OPTIONS, STORAGE_PUBLIC_ORIGIN
    )
    SECURE_CSP["media-src"] += _STORAGE_ORIGINS
    SECURE_CSP["img-src"] += _STORAGE_ORIGINS

# --- OpenAI (the Sora Videos API, or a gateway/emulator serving the same contract) --------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=30.0)
OPENAI_CONNECT_TIMEOUT = env.float("OPENAI_CONNECT_TIMEOUT", default=5.0)
# Content downloads wait longer for their first byte: gateways such as LiteLLM buffer
# the whole MP4 before answering.
OPENAI_CONTENT_TIMEOUT = env.float("OPENAI_CONTENT_TIMEOUT", default=300.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)
OPENAI_MODERATION_MODEL = env.str("OPENAI_MODERATION_MODEL", default="")

# The host and its models (videos/sora/profiles.py, docs/hosts.md): a preset table of
# what each model's host supports, `SORA_MODELS` (JSON) overriding it model by model
# (null removes one), and the host's name as users read it.
SORA_HOST_PRESET = env.str("SORA_HOST_PRESET", default="openai")
SORA_HOST_NAME = env.str("SORA_HOST_NAME", default="")
try:
    SORA_MODELS = json.loads(env.str("SORA_MODELS", default="") or "{}")
except json.JSONDecodeError as error:
    raise ImproperlyConfigured(f"SORA_MODELS is not valid JSON: {error}") from error
if not isinstance(SORA_MODELS, dict):
    raise ImproperlyConfigured(
        'SORA_MODELS must map models to capabilities, e.g. {"sora-2": {"seconds": [4]}}.'
    )

# Seconds of video a user may generate per day when their own quota is not set.
DAILY_SECONDS_QUOTA = env.int("DAILY_SECONDS_QUOTA", default=120)
VIDEO_ARCHIVE = env.bool("VIDEO_ARCHIVE", default=True)

# The poller: per-video backoff between upstream polls, doubling from the floor to the
# ceiling and back to the floor when progress moves; a claimed video is leased to its
# worker for POLL_LEASE_SECONDS (a killed worker's videos come back after that).
POLL_INTERVAL_MIN = env.float("POLL_INTERVAL_MIN", default=5.0)
POLL_INTERVAL_MAX = env.float("POLL_INTERVAL_MAX", default=20.0)
POLL_JITTER = env.float("POLL_JITTER", default=0.1)
POLL_LEASE_SECONDS = env.float("POLL_LEASE_SECONDS", default=120.0)
# A first guess of render time (before this installation has history), per second of
# video: 15 makes a 4-second video's guess one minute (videos/estimates.py).
RENDER_SECONDS_PER_VIDEO_SECOND = env.float(
    "RENDER_SECONDS_PER_VIDEO_SECOND", default=15.0
)
# After this long without any answer from the upstream a video is flagged as stuck.
POLL_STUCK_AFTER = env.float("POLL_STUCK_AFTER", default=3600.0)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "videos": {"level": env.str("LOG_LEVEL", default="INFO"), "propagate": True},
        "django": {"level": "INFO", "propagate": True},
    },
}
