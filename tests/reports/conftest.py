"""The telephony cast, for the aggregates' marks through the status webhook."""

from tests.telephony.conftest import acme_account, forwarded_number, twilio  # noqa: F401
