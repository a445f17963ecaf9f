from __future__ import annotations

import hashlib
import secrets

import factory
from django.utils import timezone

from accounts.models import ApiKey, ApiKeyScope, Client, User
from accounts.roles import Role
from calls.models import MEDIA_MODELS, MediaObject
from calls.services import media_store

PASSWORD = "correct-horse-battery-42"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.ANALYST
    # The cast reads English unless a test says otherwise (a French reader: language="fr", or ""
    # to follow the Client's country).
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save(update_fields=["password"])


class StaffFactory(UserFactory):
    client = None
    role = ""
    is_staff = True


class TrackingNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.TrackingNumber"

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: f"+3318480{n:04d}")
    source = "Google Ads"
    campaign = "Brand"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.Contact"

    client = factory.SubFactory(ClientFactory)
    phone_number = factory.Sequence(lambda n: f"+3361234{n:04d}")


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.Call"

    client = factory.SubFactory(ClientFactory)
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    tracking_number = factory.SubFactory(
        TrackingNumberFactory, client=factory.SelfAttribute("..client")
    )
    contact = factory.SubFactory(ContactFactory, client=factory.SelfAttribute("..client"))
    status = "answered"
    started_at = factory.LazyFunction(timezone.now)
    duration_seconds = 60


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A Client's key with every scope. Its secret is not kept: a test that authenticates with
    the key creates it through `accounts.services.api_key_create`, which returns the secret."""

    class Meta:
        model = ApiKey

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"key {n}")
    prefix = factory.LazyFunction(lambda: secrets.token_hex(6))
    secret_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(32)).hexdigest())
    scopes = factory.LazyFunction(lambda: list(ApiKeyScope.values))


class _MediaFactory(factory.django.DjangoModelFactory):
    """A call's audio, stored the only way there is: encrypted by `calls.services.media_store`
    (on the configured storage, with the configured keys)."""

    class Meta:
        abstract = True

    call = factory.SubFactory(CallFactory)
    content = b"audio"
    content_type = "audio/wav"

    @classmethod
    def _create(
        cls, model_class: type[MediaObject], *, call: object, content: bytes, content_type: str
    ) -> MediaObject:
        kind = next(kind for kind, model in MEDIA_MODELS.items() if model is model_class)
        return media_store(call=call, kind=kind, content_type=content_type, chunks=[content])


class RecordingFactory(_MediaFactory):
    class Meta:
        model = "calls.Recording"


class VoiceMessageFactory(_MediaFactory):
    class Meta:
        model = "calls.VoiceMessage"

    content = b"message"


class ExportJobFactory(factory.django.DjangoModelFactory):
    """A queued background export; `calls.services.export_job_run` writes its file."""

    class Meta:
        model = "calls.ExportJob"

    client = factory.SubFactory(ClientFactory)
    query = factory.LazyFunction(dict)


class DataSubjectRequestFactory(factory.django.DjangoModelFactory):
    """An open erasure request for a Contact's number in one Client's account."""

    class Meta:
        model = "privacy.DataSubjectRequest"

    kind = "erasure"
    subject_type = "contact"
    subject = factory.Sequence(lambda n: f"+3361299{n:04d}")
    scope = "one_client"
    client = factory.SubFactory(ClientFactory)
    source = "client"
    verified = True
