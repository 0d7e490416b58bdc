from django.conf import settings
from django.contrib import admin
from django.urls import path, re_path

from api.api import api
from api.errors import json_404_or_page, json_not_found
from realtime.views import tournament_live
from wallet.views import sandbox_checkout

urlpatterns = [
    path("admin/", admin.site.urls),
    path("live/tournaments/<int:tournament_id>/", tournament_live, name="tournament-live"),
    path("payments/sandbox/<int:payment_id>/", sandbox_checkout, name="sandbox-checkout"),
    path("api/", api.urls),
    # Unknown API paths answer in the API's error shape, in DEBUG too.
    re_path(r"^api/", json_not_found),
]

if settings.DEBUG and not settings.AWS_STORAGE_BUCKET_NAME:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = json_404_or_page
