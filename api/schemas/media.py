"""Media URLs in API output: always absolute.

S3 URLs already are (public objects plain, private ones presigned); local ones (MEDIA_URL,
signed PRIVATE_MEDIA_URL links, the games' shipped banners under STATIC_URL) get the request's
scheme and host.
"""

from django.db.models.fields.files import FieldFile
from django.templatetags.static import static


def absolute_url(context, url: str) -> str:
    request = context.get("request") if context else None
    return request.build_absolute_uri(url) if request else url


def file_url(context, file: FieldFile | None) -> str | None:
    return absolute_url(context, file.url) if file else None


def static_url(context, path: str) -> str:
    return absolute_url(context, static(path))
