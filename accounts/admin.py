from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.models import HostApplication, SocialAccount, Team, TeamJoinRequest, TeamMembership, User
from arena.exceptions import ApplicationError
from realtime.publish import access_recheck


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "host_status", "email_verified_at", "is_active", "date_joined")
    list_filter = ("role", "host_status", "is_active", "is_staff", ("email_verified_at", admin.EmptyFieldListFilter))
    search_fields = ("username", "email", "display_name")
    ordering = ("-date_joined",)
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        ("Profile", {"fields": ("display_name", "bio", "avatar", "social_links", "game_ids", "timezone")}),
        ("Arena", {"fields": ("role", "host_status", "email_verified_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),)

    actions = ("deactivate",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            # Unticking "active" is a ban: the user's open sockets close too (4401), on every process.
            access_recheck(user_ids=[obj.pk])

    @admin.action(description="Deactivate (ban) selected users")
    def deactivate(self, request, queryset):
        for user_id in queryset.filter(is_active=True).values_list("pk", flat=True):
            services.user_deactivate(user_id=user_id)
        self.message_user(request, "Deactivated; their open connections are closed.", messages.SUCCESS)


def _decide(modeladmin, request, queryset, *, approve: bool) -> None:
    done = 0
    for application in queryset.filter(status=HostApplication.Status.PENDING):
        try:
            services.host_application_decide(user_id=application.user_id, approve=approve, reviewer=request.user)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{application.user}: {exc.message}", messages.ERROR)
    verb = "Approved" if approve else "Rejected"
    modeladmin.message_user(request, f"{verb} {done} application(s).", messages.SUCCESS)


@admin.register(HostApplication)
class HostApplicationAdmin(admin.ModelAdmin):
    list_display = ("user", "status", "created_at", "reviewed_by", "reviewed_at")
    list_filter = ("status",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user", "reviewed_by")
    readonly_fields = ("created_at",)
    actions = ("approve", "reject")

    @admin.action(description="Approve selected host applications")
    def approve(self, request, queryset):
        _decide(self, request, queryset, approve=True)

    @admin.action(description="Reject selected host applications")
    def reject(self, request, queryset):
        _decide(self, request, queryset, approve=False)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    raw_id_fields = ("user",)
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "tag", "captain", "created_at")
    search_fields = ("name", "tag", "captain__username")
    raw_id_fields = ("captain",)
    inlines = (TeamMembershipInline,)


@admin.register(TeamJoinRequest)
class TeamJoinRequestAdmin(admin.ModelAdmin):
    list_display = ("team", "user", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("team__name", "user__username")
    raw_id_fields = ("team", "user", "decided_by")


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ("team", "user", "joined_at")
    search_fields = ("team__name", "user__username")
    raw_id_fields = ("team", "user")


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "handle", "email", "email_verified", "created_at", "last_login_at")
    list_filter = ("provider", "email_verified")
    search_fields = ("user__username", "user__email", "uid", "handle", "email")
    raw_id_fields = ("user",)
    # What the provider said is a record, not something to edit.
    readonly_fields = ("provider", "uid", "handle", "email", "email_verified", "data", "created_at", "last_login_at")

    def has_add_permission(self, request):
        return False
