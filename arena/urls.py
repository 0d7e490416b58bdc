from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path

from api.api import api
from api.errors import busy_or_server_error, json_404_or_page, json_not_found
from arena.metrics import metrics_view
from arena.storage import private_media, public_media
from arena.views import home, reset_password, verify_email
from realtime.views import tournament_live
from wallet.views import sandbox_checkout

urlpatterns = [
    path("", home, name="home"),
    # The links in verification and reset emails (FRONTEND_URL + these paths) when no frontend is deployed.
    path("verify-email", verify_email, name="verify-email"),
    path("reset-password", reset_password, name="reset-password"),
    path("admin/", admin.site.urls),
    path("live/tournaments/<int:tournament_id>/", tournament_live, name="tournament-live"),
    path("payments/sandbox/<int:payment_id>/", sandbox_checkout, name="sandbox-checkout"),
    path("metrics", metrics_view, name="metrics"),
    path("api/", api.urls),
    # Unknown API paths answer in the API's error shape, in DEBUG too.
    re_path(r"^api/", json_not_found),
    # Local media; with USE_S3=true both answer 404 and clients read from the bucket. A proxy in
    # front may serve MEDIA_URL itself; PRIVATE_MEDIA_URL must stay here, where signatures are checked.
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<name>.+)$", public_media, name="media"),
    re_path(rf"^{settings.PRIVATE_MEDIA_URL.strip('/')}/(?P<name>.+)$", private_media, name="private-media"),
]

handler404 = json_404_or_page
handler500 = busy_or_server_error
