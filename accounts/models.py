from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.retention_policy import validate_overrides
from accounts.roles import Capability, Role, role_has_capability
from accounts.tenancy import TenantManager, TenantQuerySet


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone (e.g. Europe/Paris).") % {"value": repr(value)}
        )


def validate_country(value: str) -> None:
    import phonenumbers

    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            _("Enter a country as its two capital letters (ISO 3166), e.g. FR."), code="invalid"
        )


class Client(models.Model):  # type: ignore[django-manager-missing]  # ApiKey.objects: below
    """A tenant: a company with a contract whose calls we track."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.DEFAULT_CLIENT_TIME_ZONE,
        validators=[validate_time_zone],
    )
    # Where the Client works: phone numbers typed nationally are read, and shown, for this country.
    country = models.CharField(
        _("country"),
        max_length=2,
        default="FR",
        # Also the database's default: rows loaded in SQL (bench/dataset.py) get it too.
        db_default="FR",
        validators=[validate_country],
        help_text=_(
            "ISO 3166 code, e.g. FR: phone numbers are typed and shown the way it writes them."
        ),
    )
    contract_start = models.DateField(_("contract start"), default=timezone.localdate)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Shorter retention agreed with this Client, set by staff; empty means the platform default.
    # Validated never to exceed the defaults (accounts.retention_policy).
    call_retention_months = models.PositiveSmallIntegerField(
        _("call retention (months)"), null=True, blank=True
    )
    recording_retention_months = models.PositiveSmallIntegerField(
        _("recording retention (months)"), null=True, blank=True
    )
    user_retention_days_after_contract = models.PositiveSmallIntegerField(
        _("user retention after the contract (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_end__isnull=True)
                | models.Q(contract_end__gte=models.F("contract_start")),
                name="client_contract_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self) -> None:
        validate_overrides(self)


class UserQuerySet(TenantQuerySet["User"]):
    # User is also Django's auth model: the auth backend, password reset, sessions, axes, the
    # admin, createsuperuser and the platform-wide unique email check all read Users by email or
    # id without a Client (staff have none). So Users offer `for_client()` but are not refused
    # unscoped; code reading a Client's Users still goes through `for_client()`.
    refuses_unscoped = False

    def admins(self) -> UserQuerySet:
        return self.filter(role=Role.ADMIN, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def derive_initials(first_name: str, last_name: str) -> str:
    return "".join(part[:1].upper() for part in (first_name, last_name) if part)


def profile_picture_path(user: User, filename: str) -> str:
    # A random name: the file name a User uploads may itself carry personal data.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return f"profile-pictures/{user.pk}/{uuid.uuid4().hex}.{extension}"


class User(AbstractBaseUser, PermissionsMixin):
    """A person of a Client who logs in, or platform staff (no Client, `is_staff`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email (login)"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    initials = models.CharField(
        _("initials"), max_length=8, blank=True, help_text=_("Derived from the name if left empty.")
    )
    phone_numbers = models.JSONField(
        _("phone numbers"), default=list, blank=True, help_text=_("E.164 numbers.")
    )
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    profile_picture = models.ImageField(
        _("profile picture"), upload_to=profile_picture_path, blank=True
    )
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("client"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    # Empty: the language of the Client's country (accounts.languages).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["client", "role"], name="user_client_role_idx")]
        # Support holds it, the DPO does not: the DPO rectifies personal data only (accounts.admin).
        permissions = [
            (
                "change_user_account",
                _("Can change a client User's Client, role and active status"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(client__isnull=True) & models.Q(role=""))
                | (models.Q(client__isnull=False) & ~models.Q(role="")),
                name="user_has_a_role_exactly_when_in_a_client",
            ),
            models.CheckConstraint(
                condition=models.Q(client__isnull=True) | models.Q(is_staff=False),
                name="staff_belong_to_no_client",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.initials:
            self.initials = derive_initials(self.first_name, self.last_name)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "initials"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    def has_capability(self, capability: Capability) -> bool:
        return (
            self.is_active
            and self.client_id is not None
            and role_has_capability(self.role, capability)
        )


class UserSession(models.Model):
    """Which session keys belong to a User, so deleting or deactivating a User ends them."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("user")
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self) -> str:
        return self.session_key[:8]


class ApiKeyScope(models.TextChoices):
    INGEST = "ingest", _("Ingest (post calls, upload recordings, read tracking numbers)")
    READ = "read", _("Read (calls, stats, recordings, exports)")


# Short names for lists (the choices' labels say what each scope allows).
API_KEY_SCOPE_NAMES = {ApiKeyScope.INGEST: _("Ingest"), ApiKeyScope.READ: _("Read")}


class ApiKeyQuerySet(TenantQuerySet["ApiKey"]):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A Client's API key. Only a SHA-256 of the secret is stored (it is random, 256 bits)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="api_keys",
        db_index=False,
        verbose_name=_("client"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    # The plugin cannot follow from_queryset() on a manager that is itself from_queryset().
    objects = TenantManager.from_queryset(ApiKeyQuerySet)()  # type: ignore[django-manager-missing]

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "-created_at"], name="apikey_client_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_names(self) -> list[str]:
        """The scopes as people read them ("Ingest", "Read"), unknown ones as stored."""
        return [str(API_KEY_SCOPE_NAMES.get(scope, scope)) for scope in self.scopes]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes
