"""The email that lets a new User choose their password (Django's password-reset token)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.languages import language_for_user
from accounts.models import User


def user_invitation_send(*, user: User, request: HttpRequest) -> None:
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "link": request.build_absolute_uri(path), "client": user.client}
    # In the invited person's language (their own choice, else their Client's country's).
    with translation.override(language_for_user(user) or settings.LANGUAGE_CODE):
        send_mail(
            subject=_("You have been invited to Dexem by %(client)s") % {"client": user.client},
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
