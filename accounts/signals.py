from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User
from accounts.services import user_session_register


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None and request.session.session_key:
        user_session_register(user=user, session_key=request.session.session_key)


@receiver(user_logged_in)
def require_second_factor(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A User with a confirmed device must give a code in this new session (two_factor.py)."""
    from django_otp import user_has_device

    from accounts.two_factor import SESSION_FLAG

    if request is not None:
        request.session[SESSION_FLAG] = user_has_device(user)
