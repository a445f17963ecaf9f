"""Typed readers for the environment.

Each helper names the variable and the expected form when a value is wrong, so a misconfigured
deployment fails at start-up with a message an operator can act on.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from django.core.exceptions import ImproperlyConfigured

PRODUCTION = "production"
DEVELOPMENT = "development"


def django_env() -> str:
    value = os.environ.get("DJANGO_ENV", DEVELOPMENT).strip() or DEVELOPMENT
    if value not in (DEVELOPMENT, PRODUCTION):
        raise ImproperlyConfigured(
            f"DJANGO_ENV must be 'development' or 'production', not {value!r}."
        )
    return value


def is_production() -> bool:
    return django_env() == PRODUCTION


def default_settings_module() -> str:
    return "dexem.settings.production" if is_production() else "dexem.settings.base"


def env_str(name: str, default: str | None = None, *, required_in_production: bool = False) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required_in_production and is_production():
        raise ImproperlyConfigured(
            f"{name} is required when DJANGO_ENV=production; set it in the environment or .env."
        )
    if default is None:
        raise ImproperlyConfigured(f"{name} is required; set it in the environment.")
    return default


def env_optional(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_list(name: str, default: list[str], *, required_in_production: bool = False) -> list[str]:
    raw = env_str(name, ",".join(default), required_in_production=required_in_production)
    return [item.strip() for item in raw.split(",") if item.strip()]


def decode_key(name: str, value: str, *, min_bytes: int, exact: bool = False) -> bytes:
    """Decode a base64 secret, refusing anything shorter (or, with `exact`, another length)."""
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} must be base64.") from None
    if exact and len(key) != min_bytes:
        raise ImproperlyConfigured(f"{name} must decode to exactly {min_bytes} bytes.")
    if len(key) < min_bytes:
        raise ImproperlyConfigured(f"{name} must decode to at least {min_bytes} bytes.")
    return key


_KEY_ID = re.compile(r"[!-+\--~]{1,64}")  # printable ASCII (0x21-0x7E) but the comma


def parse_recording_keys(raw: str) -> dict[str, bytes]:
    """`key_id:base64-32-bytes,...` → ordered {key_id: key}; the first one encrypts."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not encoded.strip():
            raise ImproperlyConfigured(
                "RECORDING_KEYS must be a comma-separated list of key_id:base64-32-bytes."
            )
        if not _KEY_ID.fullmatch(key_id):
            # The id is bound into every wrapped key by its length in bytes (docs/encryption.md);
            # ASCII keeps characters and bytes the same for every reader.
            raise ImproperlyConfigured(
                "RECORDING_KEYS key ids must be 1 to 64 printable ASCII characters "
                "(letters, digits, punctuation; no spaces or commas)."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"RECORDING_KEYS names the key id {key_id!r} twice.")
        keys[key_id] = decode_key("RECORDING_KEYS", encoded.strip(), min_bytes=32, exact=True)
    if not keys:
        raise ImproperlyConfigured("RECORDING_KEYS must hold at least one key.")
    return keys


def env_secret(name: str, dev_file: os.PathLike[str] | str, *, dev_prefix: str = "") -> str:
    """A secret required in production; in development, a random one kept in `dev_file`."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if is_production():
        return env_str(name, required_in_production=True)
    return _dev_generated_secret(name, dev_file, dev_prefix)


def _dev_generated_secret(name: str, path: os.PathLike[str] | str, prefix: str) -> str:
    import sys
    from pathlib import Path

    secret_file = Path(path)
    if secret_file.exists():
        return secret_file.read_text().strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    value = prefix + base64.b64encode(os.urandom(32)).decode()
    secret_file.touch(mode=0o600)
    secret_file.write_text(value + "\n")
    print(
        f"WARNING: {name} is not set; generated a development value into {secret_file}. "
        "Never use it in production.",
        file=sys.stderr,
    )
    return value
