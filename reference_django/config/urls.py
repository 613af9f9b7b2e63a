"""Every route of API.md, each app's under its own module, plus the admin (outside the API prefix).

Paths are the canonical ones with no trailing slash (APPEND_SLASH is off); an unknown path, or a
slash-suffixed one, is the 404 envelope from `handler404`.
"""
from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from reference_django.common.handlers import not_found, server_error

urlpatterns = [
    path("", include("reference_django.common.urls")),
    path("", include("reference_django.accounts.urls")),
    path("", include("reference_django.courses.urls")),
    path("", include("reference_django.courses.content_urls")),
    path("", include("reference_django.learning.urls")),
    path("", include("reference_django.media.urls")),
    path("", include("reference_django.ai.urls")),
    path("admin/", admin.site.urls),
]

handler404 = not_found
handler500 = server_error
