from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Client, User
from accounts.roles import Role

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
