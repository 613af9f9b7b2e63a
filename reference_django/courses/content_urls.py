"""Course sections and media assignment routes (API.md §3.10, X1-X8); names are the legacy Flask endpoint names."""
from __future__ import annotations

from django.urls import path

from . import content_apis as apis

CONTENT = "api/v1/content"

urlpatterns = [
    path(f"{CONTENT}/courses/<str:course_id>/sections", apis.CourseSectionsApi.as_view(), name="content_sections"),
    path(f"{CONTENT}/courses/<str:course_id>/media", apis.CourseMediaApi.as_view(), name="content_course_media"),
    path(f"{CONTENT}/sections/<str:section_id>", apis.SectionApi.as_view(), name="content_section"),
    path(f"{CONTENT}/sections/<str:section_id>/media", apis.SectionMediaApi.as_view(), name="content_section_media"),
    path(f"{CONTENT}/sections/<str:section_id>/media/reorder", apis.SectionMediaReorderApi.as_view(),
         name="content_section_media_reorder"),
    path(f"{CONTENT}/media/<str:media_file_id>/unassign", apis.MediaUnassignApi.as_view(),
         name="content_media_unassign"),
]
