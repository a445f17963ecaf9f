"""How a visit's channel is read from its click ids, utm parameters and referrer: the one table
of it (SPEC §13). The first rule that answers wins, in this order: click id, utm_medium,
utm_source alone, referrer, nothing at all (direct)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PAID_SEARCH = "paid_search", _("Paid search")
    ORGANIC_SEARCH = "organic_search", _("Organic search")
    SOCIAL = "social", _("Social")
    REFERRAL = "referral", _("Referral")
    EMAIL = "email", _("Email")
    DIRECT = "direct", _("Direct")
    OTHER = "other", _("Other")


CLICK_IDS = ("gclid", "msclkid", "fbclid")
CLICK_ID_CHANNELS = {
    "gclid": Channel.PAID_SEARCH,
    "msclkid": Channel.PAID_SEARCH,
    "fbclid": Channel.SOCIAL,
}
MEDIUM_CHANNELS = {
    **dict.fromkeys(
        ("cpc", "ppc", "paid", "paidsearch", "paid_search", "sem"), Channel.PAID_SEARCH
    ),
    **dict.fromkeys(("organic", "seo"), Channel.ORGANIC_SEARCH),
    **dict.fromkeys(
        ("social", "social-network", "social-media", "sm", "paid_social", "paidsocial"),
        Channel.SOCIAL,
    ),
    **dict.fromkeys(("email", "e-mail", "newsletter", "mail"), Channel.EMAIL),
    **dict.fromkeys(("referral", "affiliate", "partner"), Channel.REFERRAL),
}
# A referrer's registrable name (its host without "www." and the last label), e.g. google.fr.
REFERRER_CHANNELS = {
    **dict.fromkeys(
        (
            "google",
            "bing",
            "duckduckgo",
            "yahoo",
            "ecosia",
            "qwant",
            "baidu",
            "yandex",
            "startpage",
        ),
        Channel.ORGANIC_SEARCH,
    ),
    **dict.fromkeys(
        (
            "facebook",
            "m.facebook",
            "l.facebook",
            "instagram",
            "linkedin",
            "lnkd",
            "t",  # t.co
            "twitter",
            "x",
            "youtube",
            "tiktok",
            "pinterest",
            "reddit",
        ),
        Channel.SOCIAL,
    ),
    **dict.fromkeys(
        ("mail.google", "outlook.live", "mail.yahoo", "webmail.free", "mail.proton"), Channel.EMAIL
    ),
}


def _referrer_name(host: str) -> str:
    host = host.lower().removeprefix("www.")
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in {"co", "com"}:  # google.co.uk
        labels = labels[:-1]
    return ".".join(labels[:-1]) if len(labels) > 1 else host


def channel_for(
    *, click_id_kind: str = "", utm_medium: str = "", utm_source: str = "", referrer_host: str = ""
) -> str:
    if click_id_kind:
        return CLICK_ID_CHANNELS[click_id_kind]
    medium = utm_medium.strip().lower()
    if medium:
        return MEDIUM_CHANNELS.get(medium, Channel.OTHER)
    if utm_source.strip():
        return REFERRER_CHANNELS.get(utm_source.strip().lower(), Channel.OTHER)
    if referrer_host:
        return REFERRER_CHANNELS.get(_referrer_name(referrer_host), Channel.REFERRAL)
    return Channel.DIRECT
