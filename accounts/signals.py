from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import Signal, receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import user_has_device

from accounts.middleware import TWO_FACTOR_SESSION_FLAG
from accounts.models import User

# What a client admin does to Users and API keys, sent by accounts.services so that a higher app
# (privacy.audit's receivers) records it: accounts imports nothing of ours (ARCHITECTURE.md).
# Every one carries `actor` (who acted, None for the system) and `client_id`.
user_created = Signal()  # user
user_changed = Signal()  # user, fields: the names of the fields changed (never their values)
user_role_changed = Signal()  # user, old_role, new_role
user_deactivated = Signal()  # user
user_deleted = Signal()  # user_id
api_key_created = Signal()  # api_key
api_key_revoked = Signal()  # api_key


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # Imported here: accounts.services imports this module for its signals (a real cycle).
    from accounts.services import user_session_register

    if request is not None and request.session.session_key:
        user_session_register(user=user, session_key=request.session.session_key)


@receiver(user_logged_in)
def require_second_factor(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A User with a confirmed device must give a code in this new session
    (StaffTwoFactorMiddleware)."""
    if request is not None:
        request.session[TWO_FACTOR_SESSION_FLAG] = user_has_device(user)


@receiver(user_logged_out)
def say_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    """The login page a User lands on after logging out says so (the message outlives the
    session in its cookie). Quiet where a middleware logs a User out before messages are set up
    (a deactivated Client's open session)."""
    if request is not None and user is not None:
        messages.info(request, _("You are logged out."), fail_silently=True)
