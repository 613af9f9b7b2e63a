"""Course content tables (SCHEMA.md §2.7–2.10): courses, sections, videos, quizzes.

Mapped exactly onto the legacy DDL (see accounts/models.py for the conventions: legacy index names,
FK indexes in `Meta.indexes`, ON DELETE clauses written by the migrations).
"""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Value

from reference_django.common.model_fields import DecimalField, FloatField, JSONField
from reference_django.common.models import BaseModel, LiveManager


class Course(BaseModel):
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, db_column="instructor_id",
                                   db_index=False, related_name="taught_courses")
    title = models.CharField(max_length=255)
    slug = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="", db_default="")
    short_description = models.CharField(max_length=500, blank=True, default="", db_default="")
    thumbnail_url = models.TextField(null=True, blank=True)
    preview_video_url = models.TextField(null=True, blank=True)
    price = DecimalField(max_digits=10, decimal_places=2, default=Decimal(0), db_default=Value(0))
    currency = models.CharField(max_length=3, default="USD", db_default="USD")
    discount_price = DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    is_free = models.BooleanField(default=False, db_default=False)
    duration = models.IntegerField(default=0, db_default=0)  # seconds
    difficulty = models.CharField(max_length=20, default="beginner", db_default="beginner")
    language = models.CharField(max_length=10, default="en", db_default="en")
    category = models.CharField(max_length=100, null=True, blank=True)
    tags = JSONField(blank=True, default=list, db_default=[])
    prerequisites = JSONField(blank=True, default=list, db_default=[])
    learning_outcomes = JSONField(blank=True, default=list, db_default=[])
    target_audience = JSONField(blank=True, default=list, db_default=[])
    course_structure = JSONField(null=True, blank=True)
    enrollment_count = models.IntegerField(default=0, db_default=0)
    completion_count = models.IntegerField(default=0, db_default=0)
    rating = FloatField(default=0.0, db_default=Value(0))
    rating_count = models.IntegerField(default=0, db_default=0)
    status = models.CharField(max_length=20, default="draft", db_default="draft")
    is_published = models.BooleanField(default=False, db_default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    metadata = JSONField(blank=True, default=dict, db_default={})
    seo_metadata = JSONField(blank=True, default=dict, db_default={})

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "courses"
        constraints = [
            # The unique first: SQLAlchemy's SQLite inspector misreads a UNIQUE name after quoted CHECKs.
            models.UniqueConstraint(fields=["slug"], name="uq_courses__slug"),
            models.CheckConstraint(condition=Q(rating__gte=Value(0), rating__lte=Value(5)),
                                   name="chk_course_rating"),
            models.CheckConstraint(condition=Q(price__gte=Value(0)), name="chk_course_price"),
            models.CheckConstraint(condition=Q(discount_price__isnull=True) | Q(discount_price__gte=Value(0)),
                                   name="ck_courses__discount_price"),
        ]
        indexes = [
            models.Index(fields=["-enrollment_count"], name="idx_course_enrollment"),
            models.Index(fields=["-rating"], name="idx_course_rating"),
            models.Index(fields=["category", "status", "is_published"], name="ix_courses__category_status_published"),
            models.Index(fields=["difficulty"], name="ix_courses__difficulty"),
            models.Index(fields=["instructor"], name="ix_courses__instructor_id"),
            models.Index(fields=["instructor", "status"], name="ix_courses__instructor_status"),
            models.Index(fields=["is_published"], name="ix_courses__is_published"),
            models.Index(fields=["price", "is_free", "status"], name="ix_courses__price_free_status"),
            models.Index(fields=["status"], name="ix_courses__status"),
            models.Index(fields=["title", "status", "is_published"], name="ix_courses__title_status_published"),
        ]

    def __str__(self) -> str:
        return self.title


class CourseSection(BaseModel):
    course = models.ForeignKey(Course, models.CASCADE, db_column="course_id", db_index=False, related_name="sections")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="", db_default="")
    order = models.IntegerField(default=0, db_default=0)
    is_published = models.BooleanField(default=True, db_default=True)
    is_preview = models.BooleanField(default=False, db_default=False)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "course_sections"
        indexes = [
            models.Index(fields=["course"], name="ix_course_sections__course_id"),
            models.Index(fields=["course", "order"], name="ix_course_sections__course_order"),
        ]

    def __str__(self) -> str:
        return self.title


class Video(BaseModel):
    course = models.ForeignKey(Course, models.CASCADE, db_column="course_id", db_index=False, related_name="videos")
    section = models.ForeignKey(CourseSection, models.SET_NULL, null=True, blank=True, db_column="section_id",
                                db_index=False, related_name="videos")
    media_file = models.ForeignKey("media.MediaFile", models.SET_NULL, null=True, blank=True,
                                   db_column="media_file_id", db_index=False, related_name="videos")
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    video_url = models.TextField(null=True, blank=True)
    video_provider = models.CharField(max_length=50, default="backblaze", db_default="backblaze")
    thumbnail_url = models.TextField(null=True, blank=True)
    duration_seconds = models.IntegerField(default=0, db_default=0)
    order = models.IntegerField(default=0, db_default=0)
    is_preview = models.BooleanField(default=False, db_default=False)
    is_downloadable = models.BooleanField(default=False, db_default=False)
    is_published = models.BooleanField(default=True, db_default=True)
    transcript_url = models.TextField(null=True, blank=True)
    subtitles_url = models.TextField(null=True, blank=True)
    transcript = JSONField(blank=True, default=list, db_default=[])
    resources = JSONField(blank=True, default=list, db_default=[])
    metadata = JSONField(null=True, blank=True)
    video_quality = models.CharField(max_length=20, default="720p", db_default="720p")
    has_captions = models.BooleanField(default=False, db_default=False)
    caption_languages = JSONField(blank=True, default=list, db_default=[])

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "videos"
        indexes = [
            models.Index(fields=["course"], name="ix_videos__course_id"),
            models.Index(fields=["course", "order"], name="ix_videos__course_order"),
            models.Index(fields=["media_file"], name="ix_videos__media_file_id"),
            models.Index(fields=["section"], name="ix_videos__section_id"),
        ]

    def __str__(self) -> str:
        return self.title


class Quiz(BaseModel):
    """One in-video quiz question ("quiz point")."""

    video = models.ForeignKey(Video, models.CASCADE, db_column="video_id", db_index=False, related_name="quizzes")
    course = models.ForeignKey(Course, models.CASCADE, db_column="course_id", db_index=False, related_name="quizzes")
    timestamp_seconds = models.IntegerField(default=0, db_default=0)
    question = models.TextField()
    options = JSONField(blank=True, default=list, db_default=[])
    correct_answer = models.IntegerField()
    explanation = models.TextField(blank=True, default="", db_default="")
    order_index = models.IntegerField(default=0, db_default=0)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "quizzes"
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(condition=Q(correct_answer__gte=0), name="ck_quizzes__correct_answer_nonneg"),
            models.CheckConstraint(condition=Q(timestamp_seconds__gte=0), name="ck_quizzes__timestamp_nonneg"),
        ]
        indexes = [
            models.Index(fields=["course"], name="ix_quizzes__course_id"),
            models.Index(fields=["video"], name="ix_quizzes__video_id"),
            models.Index(fields=["video", "timestamp_seconds"], name="ix_quizzes__video_ts"),
        ]

    def __str__(self) -> str:
        return self.question[:60]
