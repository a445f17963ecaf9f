"""Every setting of Dexem; `production.py` and `test.py` only override.

Read from the environment (SPEC §3) through the typed helpers of `env.py`. The defaults make a
fresh checkout run with nothing but Python: SQLite under `var/`, Celery eager, local storage.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dexem.settings.env import (
    decode_key,
    django_env,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_secret,
    env_str,
    is_production,
    parse_recording_keys,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

DJANGO_ENV = django_env()
DEBUG = env_bool("DJANGO_DEBUG", default=not is_production())

SECRET_KEY = env_secret("SECRET_KEY", VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"], required_in_production=True
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "calls",
    "attribution",
    "privacy",
    "telephony",
    "reports",
    "retention",
]

MIDDLEWARE = [
    "dexem.middleware.RequestIdMiddleware",
    # Before anything keys on the client address: a request without one is refused alone.
    "accounts.client_address.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dexem.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Accept-Language for anonymous pages; accounts.middleware.UserLanguageMiddleware then applies
    # a logged-in User's language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "accounts.middleware.RequestClientMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by authentication into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dexem.urls"
WSGI_APPLICATION = "dexem.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]
# Django's form renderer, its simplest templates (labels, inputs, selects) written in Python.
FORM_RENDERER = "dexem.form_renderer.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dexem.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "dexem.postgresql"  # its health check costs no round trip
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves concurrent writers (SPEC §5: never a 500): a transaction takes
    # the write lock when it begins, so two never deadlock upgrading a read lock, and a writer
    # waits its turn (up to `timeout` seconds) instead of failing with "database is locked".
    # WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and sessions (SPEC §4) ---------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = 8 * 60 * 60
# The expiry is fixed at login: an active session still ends 8 hours after it began.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: a username+IP pair is locked after 5 failures; each further lockout of the same
# pair within 24 hours doubles the wait (accounts.lockout). Answered 429 with the locked_out page.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "accounts.lockout.cooloff_for"
# A lock ends at the time stored when it began (accounts.lockout.LockoutHandler), never earlier
# because of what another request's cool-off would be.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from_request"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client address (accounts.client_address): behind the shipped nginx, which replaces
# X-Forwarded-For with the address it saw, exactly one trusted hop; the client is the N-th entry
# from the right of CLIENT_ADDRESS_HEADER, and a request without it is refused (never bucketed
# with others). Without a proxy (development, PROXY_COUNT=0) only REMOTE_ADDR counts.
TRUSTED_PROXY_COUNT = env_int("PROXY_COUNT", 1 if is_production() else 0)
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER", "HTTP_X_FORWARDED_FOR")
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"
# The issuer of the otpauth:// link: authenticator apps list the account as "Dexem (email)".
OTP_TOTP_ISSUER = "Dexem"

# --- Internationalisation ---------------------------------------------------------------------
# SPEC §14: the whole UI in English and French. A User's own choice wins, then the language of
# their Client's country, then (anonymous pages) Accept-Language (accounts.languages).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_CLIENT_TIME_ZONE = "Europe/Paris"
# Where a phone number typed nationally is read when no Client says (the public request form, a
# DPO's request for every account); a Client's own country (Client.country) wins everywhere else.
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "FR")

# --- Static files and uploads -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Personal files (profile pictures) are served by views that check access, never as public media.
MEDIA_ROOT = Path(env_str("MEDIA_DIR", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if is_production()
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
PROFILE_PICTURE_MAX_BYTES = 2 * 1024 * 1024
# Larger Excel exports run as a background job with a progress bar (SPEC §6, issue "Exports").
XLSX_SYNC_MAX_ROWS = env_int("XLSX_SYNC_MAX_ROWS", 100_000, minimum=1)
# Background Excel exports queued or running at once for one Client; one more is a 429.
EXPORT_JOBS_MAX_OPEN_PER_CLIENT = env_int("EXPORT_JOBS_MAX_OPEN_PER_CLIENT", 3, minimum=1)

# --- Recordings and privacy keys (SPEC §3, §7, §8) --------------------------------------------
RECORDING_STORAGE_DIR = Path(env_str("RECORDING_STORAGE_DIR", str(VAR_DIR / "recordings")))
# Where encrypted recordings live (calls/media/storage.py): "filesystem" (RECORDING_STORAGE_DIR)
# or "s3", an S3-compatible bucket through django-storages (SPEC §15, docs/scaling.md).
RECORDING_STORAGE = env_choice("RECORDING_STORAGE", ("filesystem", "s3"), "filesystem")
# Read whatever the storage, so `move_recordings_to_s3` can fill the bucket before the switch.
# With RECORDING_STORAGE=s3 the bucket is always required, and in production the credentials
# and region too; S3_ENDPOINT_URL stays optional (unset means AWS itself).
S3_BUCKET = env_str("S3_BUCKET", "")
S3_ENDPOINT_URL = env_optional("S3_ENDPOINT_URL")
S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY", "")
S3_REGION = env_str("S3_REGION", "")
if RECORDING_STORAGE == "s3":
    for _name, _value, _always in (
        ("S3_BUCKET", S3_BUCKET, True),
        ("S3_ACCESS_KEY_ID", S3_ACCESS_KEY_ID, False),
        ("S3_SECRET_ACCESS_KEY", S3_SECRET_ACCESS_KEY, False),
        ("S3_REGION", S3_REGION, False),
    ):
        if not _value and (_always or is_production()):
            raise ImproperlyConfigured(
                f"{_name} is required when RECORDING_STORAGE=s3"
                + ("" if _always else " and DJANGO_ENV=production")
                + "; set it in the environment or .env."
            )
RECORDING_MAX_BYTES = env_int("RECORDING_MAX_BYTES", 104_857_600, minimum=1)
RECORDING_KEYS = parse_recording_keys(
    env_secret("RECORDING_KEYS", VAR_DIR / "recording_keys", dev_prefix="dev:")
)
PRIVACY_HMAC_KEY = decode_key(
    "PRIVACY_HMAC_KEY", env_secret("PRIVACY_HMAC_KEY", VAR_DIR / "privacy_hmac_key"), min_bytes=32
)
DPO_EMAIL = env_str("DPO_EMAIL", "dpo@dexem.example")
# Sends the one-time codes of the public privacy form (privacy/sms.py). The development backend
# logs the code; production (production.py) has no default and refuses the development backends.
SMS_BACKEND = env_str("SMS_BACKEND", "privacy.sms.LoggingSmsBackend")

# --- Telephony (SPEC §12) --------------------------------------------------------------------
# The public address the provider calls (e.g. https://calls.example.com), used to rebuild the URL
# a webhook's signature covers; unset, the request's own scheme (the proxy's X-Forwarded-Proto
# in production) and Host are used.
PUBLIC_BASE_URL = env_optional("PUBLIC_BASE_URL")
# Recordings are fetched (and deleted) only under this origin, whatever a callback says.
TWILIO_API_BASE = env_str("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")

# --- Retention (SPEC §9) ----------------------------------------------------------------------
CALL_RETENTION_MONTHS = env_int("CALL_RETENTION_MONTHS", 24, minimum=1)
RECORDING_RETENTION_MONTHS = env_int("RECORDING_RETENTION_MONTHS", 6, minimum=1)
USER_RETENTION_DAYS_AFTER_CONTRACT = env_int("USER_RETENTION_DAYS_AFTER_CONTRACT", 90, minimum=0)
# Website visits that explain no call are deleted after this many days (SPEC §13).
VISIT_RETENTION_DAYS = env_int("VISIT_RETENTION_DAYS", 30, minimum=1)
# The dni.js visits endpoint: requests per minute from one address (the address is never stored).
DNI_RATE_LIMIT_PER_MINUTE = env_int("DNI_RATE_LIMIT_PER_MINUTE", 120, minimum=1)

# --- Email ------------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", "console:")
if EMAIL_URL.startswith("console:"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    from urllib.parse import parse_qs, unquote, urlparse

    _email = urlparse(EMAIL_URL)
    _email_options = parse_qs(_email.query)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email_options.get("tls", ["False"])[0].lower() == "true"
    EMAIL_USE_SSL = _email_options.get("ssl", ["False"])[0].lower() == "true"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Dexem <no-reply@dexem.example>")

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env_optional("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker (development) tasks run in-process, so `make run` needs nothing but Python.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the longest job, so Redis never hands a running task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 60 * 60}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# The visits endpoint's rate limits are counted in Redis when there is one (shared by every
# worker), in process memory otherwise (development).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
    ),
}

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "dexem.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "dexem.exception_handlers.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dexem API",
    "DESCRIPTION": "Call ingestion, call log, statistics and exports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs page are public: they describe the API, they hold no data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "dexem.logging.ScrubFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler carries the scrub filter: no phone number or email reaches a line.
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    # django-axes logs usernames (emails) at WARNING: personal data stays out of the logs.
    "loggers": {
        "axes": {"level": "ERROR"},
        # runserver's request lines hold query strings: through the scrubbing handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
