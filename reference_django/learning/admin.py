"""Admin of the learning tables."""
from __future__ import annotations

from django.contrib import admin

from reference_django.common.admin import VersionedModelAdmin

from .models import CourseProgress, Enrollment, QuizAttempt, Review, VideoProgress


@admin.register(QuizAttempt)
class QuizAttemptAdmin(VersionedModelAdmin):
    list_display = ("user", "quiz", "attempt_number", "is_passed", "score", "started_at", "completed_at")
    list_filter = ("is_passed", "is_deleted")
    list_select_related = ("user", "quiz")
    search_fields = ("user__email", "quiz__question")
    raw_id_fields = ("user", "quiz", "video")


@admin.register(Enrollment)
class EnrollmentAdmin(VersionedModelAdmin):
    list_display = ("user", "course", "status", "progress_percentage", "enrolled_at", "completed_at",
                    "certificate_issued", "is_deleted")
    list_filter = ("status", "certificate_issued", "is_deleted")
    list_select_related = ("user", "course")
    search_fields = ("user__email", "course__title", "coupon_code")
    raw_id_fields = ("user", "course")
    date_hierarchy = "enrolled_at"


@admin.register(CourseProgress)
class CourseProgressAdmin(VersionedModelAdmin):
    list_display = ("user", "course", "section", "completion_percentage", "total_watch_time", "last_updated")
    list_filter = ("is_deleted",)
    list_select_related = ("user", "course", "section")
    search_fields = ("user__email", "course__title")
    raw_id_fields = ("user", "course", "section")


@admin.register(VideoProgress)
class VideoProgressAdmin(VersionedModelAdmin):
    list_display = ("user", "video", "completed", "completion_percentage", "last_position", "updated_at")
    list_filter = ("completed", "is_deleted")
    list_select_related = ("user", "video")
    search_fields = ("user__email", "video__title")
    raw_id_fields = ("user", "video", "course")


@admin.register(Review)
class ReviewAdmin(VersionedModelAdmin):
    list_display = ("course", "user", "rating", "title", "helpful_count", "reported_count",
                    "is_verified_purchase", "is_deleted")
    list_filter = ("rating", "is_verified_purchase", "is_deleted")
    list_select_related = ("user", "course")
    search_fields = ("title", "comment", "user__email", "course__title")
    raw_id_fields = ("user", "course")
