"""Admin of the course-content tables."""
from __future__ import annotations

from django.contrib import admin

from reference_django.common.admin import VersionedModelAdmin

from .models import Course, CourseSection, Quiz, Video


@admin.register(Course)
class CourseAdmin(VersionedModelAdmin):
    list_display = ("title", "instructor", "status", "is_published", "price", "is_free", "difficulty",
                    "enrollment_count", "rating", "is_deleted")
    list_filter = ("status", "is_published", "is_free", "difficulty", "language", "is_deleted")
    list_select_related = ("instructor",)
    search_fields = ("title", "slug", "category", "instructor__email")
    raw_id_fields = ("instructor",)
    date_hierarchy = "created_at"


@admin.register(CourseSection)
class CourseSectionAdmin(VersionedModelAdmin):
    list_display = ("title", "course", "order", "is_published", "is_preview", "is_deleted")
    list_filter = ("is_published", "is_preview", "is_deleted")
    list_select_related = ("course",)
    search_fields = ("title", "course__title")
    raw_id_fields = ("course",)


@admin.register(Video)
class VideoAdmin(VersionedModelAdmin):
    list_display = ("title", "course", "section", "order", "duration_seconds", "is_published", "is_preview",
                    "is_deleted")
    list_filter = ("is_published", "is_preview", "video_provider", "has_captions", "is_deleted")
    list_select_related = ("course", "section")
    search_fields = ("title", "course__title")
    raw_id_fields = ("course", "section", "media_file")


@admin.register(Quiz)
class QuizAdmin(VersionedModelAdmin):
    list_display = ("question", "video", "timestamp_seconds", "order_index", "is_deleted")
    list_filter = ("is_deleted",)
    list_select_related = ("video",)
    search_fields = ("question", "video__title")
    raw_id_fields = ("video", "course")
