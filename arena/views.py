"""The few server-rendered pages a first run needs: a landing page, and the pages the
verification and password-reset emails link to (FRONTEND_URL defaults to this server)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from competitions import selectors


def home(request: HttpRequest) -> HttpResponse:
    tournament = selectors.tournament_list(user=None).first()
    return render(request, "pages/home.html", {"tournament": tournament})


def verify_email(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/token_form.html",
        {
            "heading": "Confirm your email address",
            "intro": "Confirm that this address is yours to host, register teams and pay on Arena.",
            "button": "Confirm my email",
            "endpoint": "/api/auth/verify-email",
            "token": request.GET.get("token", ""),
        },
    )


def reset_password(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/token_form.html",
        {
            "heading": "Choose a new password",
            "intro": "Sessions opened before the reset end when the new password is set.",
            "button": "Set the new password",
            "endpoint": "/api/auth/password-reset/confirm",
            "token": request.GET.get("token", ""),
            "with_password": True,
        },
    )
