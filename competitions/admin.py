import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import construct_instance

from competitions import selectors, services
from competitions.models import (
    Dispute,
    Game,
    Group,
    Match,
    MatchReport,
    MatchResult,
    Registration,
    ResultAudit,
    Round,
    Standing,
    Tournament,
)


class RefreshesTournamentReads:
    """A hand edit changes what the cached tournament reads show (selectors.tournament_get, the stored
    standings and list pages of api.cached): drop them after commit, as the services do for their writes."""

    @staticmethod
    def tournament_id_of(obj) -> int:
        return obj.tournament_id

    def _refresh(self, obj) -> None:
        tournament_id = self.tournament_id_of(obj)
        transaction.on_commit(lambda: selectors.tournament_cache_invalidate(tournament_id=tournament_id), robust=True)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._refresh(form.instance)  # after the inlines too: a registration edited on the tournament page

    def delete_model(self, request, obj):
        self._refresh(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._refresh(obj)
        super().delete_queryset(request, queryset)


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "format", "team_size", "kill_points")
    list_filter = ("format",)
    search_fields = ("name", "slug")


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("team", "status", "seed", "checked_in_at", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("team",)
    extra = 0


class TournamentAdminForm(forms.ModelForm):
    """A hand edit passes the same structure checks as the API's writes (a points_table of `1` once
    saved here made the tournament's public pages answer 500)."""

    class Meta:
        model = Tournament
        fields = "__all__"  # noqa: DJ007 - the admin edits every field

    def clean(self):
        cleaned = super().clean()
        candidate = construct_instance(self, copy.copy(self.instance))
        try:
            services.tournament_structure_validate(candidate)
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


@admin.register(Tournament)
class TournamentAdmin(RefreshesTournamentReads, admin.ModelAdmin):
    form = TournamentAdminForm
    list_display = ("title", "game", "mode", "format", "status", "listing_plan", "host", "starts_at")
    list_filter = ("status", "mode", "format", "listing_plan", "game")
    search_fields = ("title", "host__username")
    raw_id_fields = ("host", "winner", "runner_up", "third_place")
    date_hierarchy = "starts_at"
    inlines = (RegistrationInline,)

    @staticmethod
    def tournament_id_of(obj) -> int:
        return obj.pk


@admin.register(Registration)
class RegistrationAdmin(RefreshesTournamentReads, admin.ModelAdmin):
    list_display = ("team", "tournament", "status", "seed", "checked_in_at", "created_at")
    list_filter = ("status",)
    search_fields = ("team__name", "tournament__title")
    raw_id_fields = ("team", "tournament", "registered_by")


class MatchResultInline(admin.TabularInline):
    model = MatchResult
    raw_id_fields = ("team",)
    readonly_fields = ("placement_points", "points")
    extra = 0


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("tournament", "number", "round", "group", "key", "status", "scheduled_at")
    list_filter = ("status", "bracket")
    search_fields = ("tournament__title", "key")
    raw_id_fields = ("tournament", "round", "group", "home_team", "away_team", "winner")
    # Results change only through the results service, which keeps standings and the audit trail.
    inlines = (MatchResultInline,)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Round)
class RoundAdmin(RefreshesTournamentReads, admin.ModelAdmin):
    list_display = ("tournament", "number", "status")
    list_filter = ("status",)
    raw_id_fields = ("tournament",)


@admin.register(Group)
class GroupAdmin(RefreshesTournamentReads, admin.ModelAdmin):
    list_display = ("round", "name")

    @staticmethod
    def tournament_id_of(obj) -> int:
        return obj.round.tournament_id

    raw_id_fields = ("round",)
    filter_horizontal = ("teams",)


@admin.register(Standing)
class StandingAdmin(admin.ModelAdmin):
    list_display = ("tournament", "round", "group", "team", "rank", "points", "wins", "kills", "decided_by")
    list_filter = ("tournament",)
    raw_id_fields = ("tournament", "round", "group", "team")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ResultAudit)
class ResultAuditAdmin(admin.ModelAdmin):
    list_display = ("match", "actor", "created_at")
    raw_id_fields = ("match", "actor")
    readonly_fields = ("match", "actor", "before", "after", "created_at")


# Reports and disputes are written only by competitions.services.reports (locks, agreement, the results service):
# the admin reads them; hosts resolve through POST /api/disputes/{id}/resolve.
@admin.register(MatchReport)
class MatchReportAdmin(admin.ModelAdmin):
    list_display = ("match", "team", "reported_by", "placement", "kills", "home_score", "away_score", "updated_at")
    list_filter = ("match__tournament",)
    search_fields = ("team__name", "match__tournament__title", "reported_by__username")
    raw_id_fields = ("match", "team", "reported_by", "screenshot")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ("id", "tournament", "match", "status", "opened_by", "opened_at", "resolution", "resolved_by")
    list_filter = ("status", "resolution")
    search_fields = ("tournament__title", "reason", "note")
    raw_id_fields = ("tournament", "match", "opened_by", "resolved_by", "chosen_report")
    date_hierarchy = "opened_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
