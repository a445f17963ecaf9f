"""Every write of the accounts app (STYLE.md §2): keyword-only, typed, `<entity>_<action>`."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any, cast

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import signals
from accounts.api_keys import key_generate, secret_hash
from accounts.invitations import user_invitation_send
from accounts.languages import language_for_user
from accounts.models import ApiKey, ApiKeyScope, Client, User, UserSession, normalize_email
from accounts.roles import Role

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
INVITATION_RESEND_INTERVAL = dt.timedelta(minutes=5)

STAFF_GROUPS = ("DPO", "Support")
USER_EDITABLE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "initials",
    "phone_numbers",
    "organization",
    "language",
)


def client_create(
    *,
    name: str,
    slug: str,
    contract_start: dt.date | None = None,
    contract_end: dt.date | None = None,
    time_zone: str | None = None,
    country: str | None = None,
) -> Client:
    client = Client(name=name.strip(), slug=slug.strip())
    if country:
        client.country = country.strip().upper()
    if contract_start is not None:
        client.contract_start = contract_start
    client.contract_end = contract_end
    if time_zone:
        client.time_zone = time_zone
    client.full_clean()
    client.save()
    logger.info("client created", extra={"client_id": str(client.pk)})
    return client


@transaction.atomic
def client_deactivate(*, client: Client) -> int:
    """Refuse the Client's Users and API keys from now on and end its Users' sessions (SPEC §10).

    Returns how many sessions were ended. The check on every request (accounts.middleware) still
    refuses a session this misses, such as one that was being opened at the same moment."""
    if client.is_active:
        client.is_active = False
        client.save(update_fields=["is_active"])
    ended = _sessions_end(UserSession.objects.filter(user__client=client))
    logger.info("client deactivated", extra={"client_id": str(client.pk), "sessions": ended})
    return ended


def user_create(
    *,
    client: Client,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    password: str | None = None,
    phone_numbers: list[str] | None = None,
    organization: str = "",
    actor: Any = None,
) -> User:
    """A User of `client`. Without a password the account cannot log in until one is set."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role %(role)s; choose one of %(roles)s.")
                % {"role": repr(role), "roles": ", ".join(Role.values)}
            }
        )
    user = User(
        client=client,
        email=normalize_email(email),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        phone_numbers=phone_numbers or [],
        organization=organization.strip(),
    )
    _set_password(user, password)
    user.full_clean(exclude=["password"])
    user.save()
    logger.info("user created", extra={"user_id": str(user.pk), "client_id": str(client.pk)})
    signals.user_created.send(User, user=user, actor=actor, client_id=client.pk)
    return user


def staff_create(
    *,
    email: str,
    group: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    superuser: bool = False,
) -> User:
    if group not in STAFF_GROUPS:
        raise ValidationError(
            {"group": _("Unknown group %(group)s; choose DPO or Support.") % {"group": repr(group)}}
        )
    with transaction.atomic():
        user = User(
            email=normalize_email(email),
            first_name=first_name.strip() or "Staff",
            last_name=last_name.strip() or group,
            is_staff=True,
            is_superuser=superuser,
        )
        _set_password(user, password)
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.add(Group.objects.get(name=group))
    logger.info("staff created", extra={"user_id": str(user.pk), "group": group})
    return user


def _set_password(user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
        return
    validate_password(password, user)
    user.set_password(password)


@transaction.atomic
def user_update(
    *,
    user: User,
    role: str | None = None,
    is_active: bool | None = None,
    actor: Any = None,
    keep_session_key: str | None = None,
    **fields: Any,
) -> User:
    """Change a User's details, role or status; the last active admin of a Client is kept.

    `keep_session_key`: the session of a User changing their own email, which stays open."""
    old_email = user.email
    unknown = set(fields) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"user_update cannot change {', '.join(sorted(unknown))}")
    changed: set[str] = set()
    for name, value in fields.items():
        if name == "email":
            value = normalize_email(value)
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.add(name)
    old_role = user.role
    if role is not None and role != user.role:
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": repr(role)}})
        if user.role == Role.ADMIN:
            _ensure_another_admin(user, field="role")
        user.role = role
        changed.add("role")
    if is_active is not None and is_active != user.is_active:
        if not is_active and user.role == Role.ADMIN:
            _ensure_another_admin(user, field="is_active")
        user.is_active = is_active
        changed.add("is_active")
    if not changed:
        return user
    user.full_clean(exclude=["password"])
    user.save(update_fields=changed)
    if "is_active" in changed and not user.is_active:
        user_sessions_end(user=user)
    elif "email" in changed:
        user_email_changed(user=user, old_email=old_email, keep_session_key=keep_session_key)
    logger.info("user updated", extra={"user_id": str(user.pk), "fields": sorted(changed)})
    # One event per kind of change: details, role, deactivation (a reactivation is a change).
    sent = {"actor": actor, "client_id": user.client_id}
    details = sorted(changed - {"role"} - ({"is_active"} if not user.is_active else set()))
    if details:
        signals.user_changed.send(User, user=user, fields=details, **sent)
    if "role" in changed:
        signals.user_role_changed.send(
            User, user=user, old_role=old_role, new_role=user.role, **sent
        )
    if "is_active" in changed and not user.is_active:
        signals.user_deactivated.send(User, user=user, **sent)
    return user


def user_email_changed(*, user: User, old_email: str, keep_session_key: str | None = None) -> None:
    """After a login email changes, by any path: whoever held a session or a password-reset link
    under the old address loses it, and the old address hears of it (a takeover is then seen).

    Outstanding reset links are already dead: Django's token hashes the email in."""
    user_sessions_end(user=user, keep_session_key=keep_session_key)
    context = {"user": user}

    def send() -> None:
        # In the reader's language, whoever made the change.
        with translation.override(language_for_user(user) or settings.LANGUAGE_CODE):
            send_mail(
                subject=_("Your Dexem login email was changed"),
                message=render_to_string("accounts/email/email_changed.txt", context),
                from_email=None,
                recipient_list=[old_email],
            )

    transaction.on_commit(send)
    logger.info("user email changed", extra={"user_id": str(user.pk)})


def _ensure_another_admin(user: User, *, field: str) -> None:
    if user.client_id is None:
        return
    # Locking the Client's admins serialises two concurrent demotions of the last two admins.
    admins = list(
        User.objects.select_for_update()
        .for_client(user.client)
        .admins()
        .values_list("pk", flat=True)
    )
    if not any(pk != user.pk for pk in admins):
        message = _("This is the last active admin of the account; make another User admin first.")
        raise ValidationError({field: message})


@transaction.atomic
def user_delete(*, user: User, enforce_last_admin: bool = True, actor: Any = None) -> None:
    """Erase a User: their sessions, login-attempt records, picture and row (SPEC §8).

    `enforce_last_admin=False` is for retention, which erases every User of an ended contract.
    An actor never deletes their own account here (another admin does, or Dexem support)."""
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        raise ValidationError(
            {"user": _("You cannot delete your own account; ask another admin of the account.")},
            code="own_account",
        )
    if enforce_last_admin and user.role == Role.ADMIN and user.is_active:
        _ensure_another_admin(user, field="user")
    user_id, client_id = str(user.pk), str(user.client_id)
    signals.user_deleted.send(User, user_id=user.pk, actor=actor, client_id=user.client_id)
    user_sessions_end(user=user)
    login_records_delete(username=user.email)
    picture = user.profile_picture
    user.delete()
    if picture:
        transaction.on_commit(lambda: picture.storage.delete(cast(str, picture.name)))
    logger.info("user deleted", extra={"user_id": user_id, "client_id": client_id})


def user_invitation_resend(*, user: User, actor: Any, request: HttpRequest) -> None:
    """Email a User who has not chosen a password yet a new invitation (the earlier links keep
    working until one is used). At most one resend per User every INVITATION_RESEND_INTERVAL;
    recorded in the audit log as a change of the User's "invitation"."""
    if user.has_usable_password():
        raise ValidationError(
            _("%(name)s has already chosen a password: there is no invitation to resend.")
            % {"name": user.get_full_name()},
            code="not_invited",
        )
    if not user.is_active:
        raise ValidationError(
            _("%(name)s is deactivated: reactivate them before resending the invitation.")
            % {"name": user.get_full_name()},
            code="inactive",
        )
    key = f"invitation-resend:{user.pk}"
    if not caches["ratelimit"].add(key, 1, timeout=int(INVITATION_RESEND_INTERVAL.total_seconds())):
        raise ValidationError(
            _("An invitation was sent to %(name)s a moment ago; wait a few minutes to resend it.")
            % {"name": user.get_full_name()},
            code="too_soon",
        )
    user_invitation_send(user=user, request=request)
    logger.info("user invitation resent", extra={"user_id": str(user.pk)})
    signals.user_changed.send(
        User, user=user, fields=["invitation"], actor=actor, client_id=user.client_id
    )


def login_records_delete(*, username: str) -> int:
    username = normalize_email(username)
    deleted = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        deleted += model.objects.filter(username=username).delete()[0]
    return deleted


def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    sessions = UserSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    return _sessions_end(sessions)


def _sessions_end(sessions: QuerySet[UserSession]) -> int:
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sessions.delete()
    return len(keys)


def user_session_register(*, user: User, session_key: str) -> None:
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def user_password_change(*, user: User, new_password: str, current_session_key: str | None) -> None:
    """Set a new password and end every other session of the User (SPEC §4)."""
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_sessions_end(user=user, keep_session_key=current_session_key)
    logger.info("password changed", extra={"user_id": str(user.pk)})


def user_profile_picture_set(*, user: User, picture: Any) -> None:
    old = user.profile_picture.name if user.profile_picture else None
    user.profile_picture = picture
    user.save(update_fields=["profile_picture"])
    if old and old != user.profile_picture.name:
        storage = user.profile_picture.storage
        transaction.on_commit(lambda: storage.delete(old))


def api_key_create(
    *,
    client: Client,
    name: str,
    scopes: list[str] | None = None,
    created_by: User | None = None,
    actor: Any = None,
) -> tuple[ApiKey, str]:
    """A new key for `client`; returns the row and the full key, which is never stored."""
    scopes = list(dict.fromkeys(scopes or ApiKeyScope.values))
    unknown = [scope for scope in scopes if scope not in ApiKeyScope.values]
    if unknown or not scopes:
        raise ValidationError(
            {
                "scopes": _("Choose scopes among %(scopes)s.")
                % {"scopes": ", ".join(ApiKeyScope.values)}
            }
        )
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name.")})
    new = key_generate()
    api_key = ApiKey(
        client=client,
        name=name.strip(),
        prefix=new.prefix,
        secret_hash=secret_hash(new.secret),
        scopes=scopes,
        created_by=created_by,
    )
    # The prefix is random (key_generate) and unique in the database; checking it here would be
    # a query across every Client's keys for a collision that cannot be told to the user anyway.
    api_key.full_clean(validate_unique=False)
    api_key.save()
    logger.info(
        "api key created", extra={"client_id": str(client.pk), "api_key_id": str(api_key.pk)}
    )
    signals.api_key_created.send(
        ApiKey, api_key=api_key, actor=actor or created_by, client_id=client.pk
    )
    return api_key, new.full


def api_key_revoke(*, api_key: ApiKey, actor: Any = None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        logger.info("api key revoked", extra={"api_key_id": str(api_key.pk)})
        signals.api_key_revoked.send(
            ApiKey, api_key=api_key, actor=actor, client_id=api_key.client_id
        )
    return api_key


def two_factor_device_pending(*, user: User) -> TOTPDevice:
    """The User's unconfirmed authenticator (created on the first visit to the setup page)."""
    return TOTPDevice.objects.filter(
        user=user, confirmed=False
    ).first() or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def two_factor_device_confirm(*, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])


def two_factor_recovery_codes_issue(*, user: User) -> list[str]:
    """Replace the User's recovery codes with RECOVERY_CODES new ones, shown to them once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
