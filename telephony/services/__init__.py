"""Every write of the telephony app, by subject: the Client's account at the provider, what the
provider reports of a call, and its recordings (fetched into our storage, deleted there)."""

from telephony.services.accounts import (
    account_sid_normalise,
    telephony_account_find_across_clients,
    telephony_account_for_webhook,
    telephony_account_set,
    telephony_account_token,
    telephony_tokens_reseal_across_clients,
    webhook_accounts_forget,
)
from telephony.services.provider_calls import (
    provider_call_dial_report,
    provider_call_outcome,
    provider_call_start,
    provider_call_status_report,
)
from telephony.services.recordings import (
    CHUNK_BYTES,
    FetchFailed,
    provider_recording_fetch,
    provider_recording_get_across_clients,
    provider_recording_give_up,
    provider_recording_report,
)

__all__ = [
    "CHUNK_BYTES",
    "FetchFailed",
    "account_sid_normalise",
    "provider_call_dial_report",
    "provider_call_outcome",
    "provider_call_start",
    "provider_call_status_report",
    "provider_recording_fetch",
    "provider_recording_get_across_clients",
    "provider_recording_give_up",
    "provider_recording_report",
    "telephony_account_find_across_clients",
    "telephony_account_for_webhook",
    "telephony_account_set",
    "telephony_account_token",
    "telephony_tokens_reseal_across_clients",
    "webhook_accounts_forget",
]
