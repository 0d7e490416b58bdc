import factory
from django.utils import timezone

from accounts.models import Team, TeamMembership, User

PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"player{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    tag = factory.Sequence(lambda n: f"T{n}")
    captain = factory.SubFactory(UserFactory)

    @factory.post_generation
    def _captain_membership(obj, create, extracted, **kwargs):
        if create:
            TeamMembership.objects.create(team=obj, user=obj.captain)
