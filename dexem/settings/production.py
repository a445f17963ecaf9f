"""Production: the base, hardened (SPEC §10). Required variables are enforced by `env.py`."""

from __future__ import annotations

from dexem.settings.base import *  # noqa: F403
from dexem.settings.env import env_bool, env_str

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# No default: a logged code would let anyone who reads the logs verify any number. Until a
# provider's backend is named, the public privacy form says verification is unavailable.
SMS_BACKEND = env_str("SMS_BACKEND", "")

# One JSON object a line, request id included, personal data masked (dexem/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "dexem.logging.ScrubFilter"}},
    "formatters": {"json": {"()": "dexem.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["scrub"]}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "axes": {"level": "ERROR"},
        # runserver's request lines hold query strings: through the scrubbing handler too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
