"""AI tables (SCHEMA.md §2.16–2.17): tutor chats and course recommendations.

Mapped exactly onto the legacy DDL (see accounts/models.py for the conventions).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value

from reference_django.common.model_fields import FloatField, JSONField
from reference_django.common.models import BaseModel, LiveManager

USER = settings.AUTH_USER_MODEL


class AIChat(BaseModel):
    """One user message and the assistant's reply; a conversation is every row sharing `session_id`."""

    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False, related_name="ai_chats")
    course = models.ForeignKey("courses.Course", models.CASCADE, null=True, blank=True, db_column="course_id",
                               db_index=False, related_name="ai_chats")
    video = models.ForeignKey("courses.Video", models.CASCADE, null=True, blank=True, db_column="video_id",
                              db_index=False, related_name="ai_chats")
    session_id = models.CharField(max_length=36)  # the conversation id, not a FK
    message = models.TextField()
    response = models.TextField(blank=True, default="", db_default="")
    message_type = models.CharField(max_length=20, default="question", db_default="question")
    context_data = JSONField(blank=True, default=dict, db_default={})
    tokens_used = models.IntegerField(default=0, db_default=0)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "ai_chats"
        verbose_name = "AI chat"
        indexes = [
            models.Index(fields=["course", "created_at"], name="ix_ai_chats__course_created"),
            models.Index(fields=["course"], name="ix_ai_chats__course_id"),
            models.Index(fields=["user"], name="ix_ai_chats__user_id"),
            models.Index(fields=["user", "session_id"], name="ix_ai_chats__user_session"),
            models.Index(fields=["user", "video", "created_at"], name="ix_ai_chats__user_video_created"),
            models.Index(fields=["video"], name="ix_ai_chats__video_id"),
        ]


class CourseRecommendation(BaseModel):
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False,
                             related_name="course_recommendations")
    course = models.ForeignKey("courses.Course", models.CASCADE, db_column="course_id", db_index=False,
                               related_name="recommendations")
    score = FloatField(default=0.0, db_default=Value(0))  # 0–1, API matchScore
    reason = models.TextField(blank=True, default="", db_default="")
    source = models.CharField(max_length=50, default="ai", db_default="ai")
    is_dismissed = models.BooleanField(default=False, db_default=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "course_recommendations"
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="uq_course_recommendations__user_course"),
            models.CheckConstraint(condition=Q(score__gte=Value(0), score__lte=Value(1)),
                                   name="ck_course_recommendations__score"),
        ]
        indexes = [
            models.Index(fields=["course"], name="ix_course_recommendations__course_id"),
            models.Index(fields=["user"], name="ix_course_recommendations__user_id"),
            models.Index(fields=["user", "-score"], name="ix_course_recommendations__user_score"),
        ]
