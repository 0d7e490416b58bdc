"""Writes for users, sessions (JWT), social accounts, profiles, host verification and teams: one
import path (`from accounts import services`) in front of a module per concern."""

from accounts.services.sessions import (
    session_login,
    session_logout,
    session_refresh,
    social_account_link,
    social_account_unlink,
    social_login,
)
from accounts.services.teams import (
    team_create,
    team_delete,
    team_join_request_create,
    team_join_request_decide,
    team_member_remove,
    team_update,
)
from accounts.services.users import (
    VERIFY_EMAIL_SALT,
    email_verification_token_make,
    host_application_decide,
    host_application_submit,
    password_reset_confirm,
    password_reset_request,
    password_reset_token_make,
    user_avatar_set,
    user_deactivate,
    user_profile_update,
    user_register,
    user_verify_email,
    verification_email_resend,
)

__all__ = [
    "VERIFY_EMAIL_SALT",
    "email_verification_token_make",
    "host_application_decide",
    "host_application_submit",
    "password_reset_confirm",
    "password_reset_request",
    "password_reset_token_make",
    "session_login",
    "session_logout",
    "session_refresh",
    "social_account_link",
    "social_account_unlink",
    "social_login",
    "team_create",
    "team_delete",
    "team_join_request_create",
    "team_join_request_decide",
    "team_member_remove",
    "team_update",
    "user_avatar_set",
    "user_deactivate",
    "user_profile_update",
    "user_register",
    "user_verify_email",
    "verification_email_resend",
]
