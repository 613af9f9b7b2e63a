"""Admin of the AI tables."""
from __future__ import annotations

from django.contrib import admin

from reference_django.common.admin import VersionedModelAdmin

from .models import AIChat, CourseRecommendation


@admin.register(AIChat)
class AIChatAdmin(VersionedModelAdmin):
    list_display = ("created_at", "user", "session_id", "message_type", "course", "video", "tokens_used")
    list_filter = ("message_type", "is_deleted")
    list_select_related = ("user", "course", "video")
    search_fields = ("session_id", "message", "response", "user__email")
    raw_id_fields = ("user", "course", "video")
    date_hierarchy = "created_at"


@admin.register(CourseRecommendation)
class CourseRecommendationAdmin(VersionedModelAdmin):
    list_display = ("user", "course", "score", "source", "is_dismissed", "expires_at")
    list_filter = ("source", "is_dismissed", "is_deleted")
    list_select_related = ("user", "course")
    search_fields = ("user__email", "course__title", "reason")
    raw_id_fields = ("user", "course")
