"""The Client's account at the provider: its SID and sealed token, found by the webhooks."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Client
from calls.media.keys import active_key_id
from privacy.audit import AuditAction, audit_record
from telephony import sealing
from telephony.models import Provider, TelephonyAccount
from telephony.providers.twilio import is_sid

logger = logging.getLogger(__name__)


def account_sid_normalise(account_sid: str) -> str:
    """An account SID as the provider writes it (`AC` and lowercase hex), however it was pasted:
    the webhooks name the account that way."""
    account_sid = account_sid.strip()
    return account_sid[:2].upper() + account_sid[2:].lower()


def telephony_account_set(
    *, client: Client, provider: str, account_sid: str, auth_token: str | None, actor: Any = None
) -> TelephonyAccount:
    """Create or change the Client's account. A blank token keeps the one sealed already (the
    token is write-only); audited with the names of the fields changed, never their values."""
    account_sid = account_sid_normalise(account_sid)
    auth_token = (auth_token or "").strip()
    if provider not in Provider.values:
        raise ValidationError({"provider": [_("Unknown provider.")]})
    if not is_sid(account_sid, "AccountSid"):
        raise ValidationError({"account_sid": [_("Enter the account SID: AC and 32 hex digits.")]})
    if auth_token and (len(auth_token) > 128 or not auth_token.isprintable()):
        raise ValidationError({"auth_token": [_("This is not an auth token.")]})
    with transaction.atomic():
        account = TelephonyAccount.objects.for_client(client).select_for_update().first()
        if account is None and not auth_token:
            raise ValidationError({"auth_token": [_("Enter the account's auth token.")]})
        changed: list[str] = []
        if account is None:
            account = TelephonyAccount(client=client)
            changed = ["provider", "account_sid", "auth_token"]
        else:
            changed = [
                name
                for name, value in (("provider", provider), ("account_sid", account_sid))
                if getattr(account, name) != value
            ]
            if auth_token:
                changed.append("auth_token")
        account.provider, account.account_sid = provider, account_sid
        if auth_token:
            account.token_key_id, account.token_sealed = sealing.token_seal(
                auth_token, account_id=account.pk
            )
        if not changed:
            return account
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            raise ValidationError({"account_sid": [_("This account is already in use.")]}) from None
        # This process forgets the account at once (its old SID too, when it changed); the
        # others within WEBHOOK_ACCOUNT_SECONDS, or at once for a request signed with the new
        # token (telephony.views.webhook looks again when a remembered token does not verify).
        webhook_accounts_forget()
        transaction.on_commit(webhook_accounts_forget)
        audit_record(
            action=AuditAction.TELEPHONY_CHANGED,
            actor=actor,
            client_id=client.pk,
            object_type="telephony_account",
            object_id=account.pk,
            metadata={"fields": sorted(changed)},
        )
    logger.info("telephony account changed", extra={"client_id": str(client.pk)})
    return account


def telephony_account_find_across_clients(
    *, provider: str, account_sid: str
) -> TelephonyAccount | None:
    """The account a webhook names, whichever Client holds it: the request is not trusted until
    its signature checks out with this account's token."""
    return (
        TelephonyAccount.objects.across_clients()
        .select_related("client")
        .filter(provider=provider, account_sid=account_sid, client__is_active=True)
        .first()
    )


# The webhooks' accounts, remembered by each process for a few seconds: a status callback then
# costs no query to find its account nor a run of the cipher to open its token. A token changed
# in another process is seen at once by a request signed with it (the webhook looks the account
# up again when a remembered token does not verify); a request signed with the token it replaced,
# or for a Client deactivated meanwhile, is accepted at most this long after the change.
WEBHOOK_ACCOUNT_SECONDS = 5.0
_webhook_accounts: dict[tuple[str, str], tuple[float, TelephonyAccount, str]] = {}


def webhook_accounts_forget() -> None:
    _webhook_accounts.clear()


def telephony_account_for_webhook(
    *, provider: str, account_sid: str, remembered: bool = True
) -> tuple[TelephonyAccount, str, bool] | None:
    """(account, its token, whether both were remembered rather than read just now) for the
    account a webhook names, or None when no active Client holds it. Raises
    sealing.TokenUnreadable when the token does not open."""
    key, now = (provider, account_sid), time.monotonic()
    if remembered:
        entry = _webhook_accounts.get(key)
        if entry is not None and entry[0] > now:
            return entry[1], entry[2], True
    account = telephony_account_find_across_clients(provider=provider, account_sid=account_sid)
    if account is None:
        _webhook_accounts.pop(key, None)
        return None
    token = telephony_account_token(account)
    _webhook_accounts[key] = (now + WEBHOOK_ACCOUNT_SECONDS, account, token)
    return account, token, False


def telephony_account_token(account: TelephonyAccount) -> str:
    return sealing.token_open(
        key_id=account.token_key_id, sealed=bytes(account.token_sealed), account_id=account.pk
    )


RESEAL_BATCH = 500  # cost not measured


def telephony_tokens_reseal_across_clients(*, actor: Any = None) -> dict[str, int]:
    """Re-seal every auth token not under the active key (part of rotate_recording_keys)."""
    active, resealed = active_key_id(), 0
    while True:
        with transaction.atomic():
            batch = list(
                TelephonyAccount.objects.across_clients()
                .select_for_update(skip_locked=True)
                .exclude(token_key_id=active)
                .order_by("pk")[:RESEAL_BATCH]
            )
            if not batch:
                break
            for account in batch:
                key_id, sealed = sealing.token_seal(
                    telephony_account_token(account), account_id=account.pk
                )
                TelephonyAccount.objects.across_clients().filter(pk=account.pk).update(
                    token_key_id=key_id, token_sealed=sealed
                )
            resealed += len(batch)
    return {"telephony_token": resealed}
