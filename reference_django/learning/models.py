"""Learning tables (SCHEMA.md §2.11–2.15): quiz attempts, enrollments, progress, reviews.

Mapped exactly onto the legacy DDL (see accounts/models.py for the conventions). Unique constraints
cover soft-deleted rows too (SCHEMA.md §0), so writers revive a row rather than insert a second one.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone

from reference_django.common.model_fields import DecimalField, FloatField, JSONField
from reference_django.common.models import BaseModel, LiveManager, TransactionNow

USER = settings.AUTH_USER_MODEL


class QuizAttempt(BaseModel):
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False, related_name="quiz_attempts")
    quiz = models.ForeignKey("courses.Quiz", models.CASCADE, db_column="quiz_id", db_index=False,
                             related_name="attempts")
    video = models.ForeignKey("courses.Video", models.CASCADE, db_column="video_id", db_index=False,
                              related_name="quiz_attempts")
    started_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    completed_at = models.DateTimeField(null=True, blank=True)
    answers = JSONField(blank=True, default=dict, db_default={})
    is_passed = models.BooleanField(default=False, db_default=False)
    score = FloatField(default=0.0, db_default=Value(0))
    percentage = FloatField(default=0.0, db_default=Value(0))
    time_taken = models.IntegerField(default=0, db_default=0)
    attempt_number = models.IntegerField(default=1, db_default=1)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "quiz_attempts"
        constraints = [
            models.UniqueConstraint(fields=["user", "quiz", "attempt_number"],
                                    name="uq_quiz_attempts__user_quiz_attempt"),
        ]
        indexes = [
            models.Index(fields=["quiz"], name="ix_quiz_attempts__quiz_id"),
            models.Index(fields=["user"], name="ix_quiz_attempts__user_id"),
            models.Index(fields=["user", "quiz"], name="ix_quiz_attempts__user_quiz"),
            models.Index(fields=["user", "video"], name="ix_quiz_attempts__user_video"),
            models.Index(fields=["video"], name="ix_quiz_attempts__video_id"),
        ]


class Enrollment(BaseModel):
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False, related_name="enrollments")
    course = models.ForeignKey("courses.Course", models.CASCADE, db_column="course_id", db_index=False,
                               related_name="enrollments")
    enrolled_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, default="active", db_default="active")
    progress_percentage = FloatField(default=0.0, db_default=Value(0))
    last_accessed = models.DateTimeField(null=True, blank=True)
    certificate_issued = models.BooleanField(default=False, db_default=False)
    certificate_url = models.TextField(null=True, blank=True)
    payment_method = models.CharField(max_length=50, null=True, blank=True)
    coupon_code = models.CharField(max_length=50, null=True, blank=True)
    payment_amount = DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    payment_currency = models.CharField(max_length=3, null=True, blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "enrollments"
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="uq_user_course"),
            models.CheckConstraint(condition=Q(progress_percentage__gte=Value(0), progress_percentage__lte=Value(100)),
                                   name="ck_enrollments__progress"),
        ]
        indexes = [
            models.Index(fields=["course"], name="ix_enrollments__course_id"),
            models.Index(fields=["course", "status"], name="ix_enrollments__course_status"),
            models.Index(fields=["user"], name="ix_enrollments__user_id"),
            models.Index(fields=["user", "status"], name="ix_enrollments__user_status"),
        ]


class CourseProgress(BaseModel):
    """Completion per student per course; the row with no section is the course-level one the API uses."""

    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False,
                             related_name="course_progress")
    course = models.ForeignKey("courses.Course", models.CASCADE, db_column="course_id", db_index=False,
                               related_name="course_progress")
    section = models.ForeignKey("courses.CourseSection", models.CASCADE, null=True, blank=True,
                                db_column="section_id", db_index=False, related_name="course_progress")
    completed_videos = JSONField(blank=True, default=list, db_default=[])
    last_video_id = models.CharField(max_length=36, null=True, blank=True)  # deliberately no FK (SCHEMA.md §3)
    total_watch_time = models.IntegerField(default=0, db_default=0)
    completion_percentage = FloatField(default=0.0, db_default=Value(0))
    last_updated = models.DateTimeField(default=timezone.now, db_default=TransactionNow())

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "course_progress"
        verbose_name_plural = "course progress"
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "section"],
                                    name="uq_course_progress__user_course_section"),
            # NULLs never collide under the constraint above, so the course-level row needs its own.
            models.UniqueConstraint(fields=["user", "course"], condition=Q(section__isnull=True),
                                    name="uq_course_progress__course_level"),
        ]
        indexes = [
            models.Index(fields=["course"], name="ix_course_progress__course_id"),
            models.Index(fields=["section"], name="ix_course_progress__section_id"),
            models.Index(fields=["user", "course"], name="ix_course_progress__user_course"),
            models.Index(fields=["user"], name="ix_course_progress__user_id"),
        ]


class VideoProgress(BaseModel):
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False,
                             related_name="video_progress")
    video = models.ForeignKey("courses.Video", models.CASCADE, db_column="video_id", db_index=False,
                              related_name="progress")
    course = models.ForeignKey("courses.Course", models.CASCADE, db_column="course_id", db_index=False,
                               related_name="video_progress")
    watch_time = models.IntegerField(default=0, db_default=0)
    last_position = models.IntegerField(default=0, db_default=0)
    completed = models.BooleanField(default=False, db_default=False)
    completion_percentage = FloatField(default=0.0, db_default=Value(0))
    playback_speed = FloatField(default=1.0, db_default=1.0)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "video_progress"
        verbose_name_plural = "video progress"
        constraints = [models.UniqueConstraint(fields=["user", "video"], name="uq_video_progress__user_video")]
        indexes = [
            models.Index(fields=["completed", "user"], name="idx_video_progress_completed"),
            models.Index(fields=["course"], name="ix_video_progress__course_id"),
            models.Index(fields=["user", "course", "completed"], name="ix_video_progress__user_course_completed"),
            models.Index(fields=["user"], name="ix_video_progress__user_id"),
            models.Index(fields=["video"], name="ix_video_progress__video_id"),
        ]


class Review(BaseModel):
    user = models.ForeignKey(USER, models.CASCADE, db_column="user_id", db_index=False, related_name="reviews")
    course = models.ForeignKey("courses.Course", models.CASCADE, db_column="course_id", db_index=False,
                               related_name="reviews")
    rating = models.IntegerField()
    title = models.CharField(max_length=255, null=True, blank=True)
    comment = models.TextField(blank=True, default="", db_default="")
    pros = JSONField(blank=True, default=list, db_default=[])
    cons = JSONField(blank=True, default=list, db_default=[])
    is_verified_purchase = models.BooleanField(default=True, db_default=True)
    helpful_count = models.IntegerField(default=0, db_default=0)
    reported_count = models.IntegerField(default=0, db_default=0)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        db_table = "reviews"
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="uq_reviews__user_course"),
            models.CheckConstraint(condition=Q(rating__range=(1, 5)), name="ck_reviews__rating"),
        ]
        indexes = [
            models.Index(fields=["course"], name="ix_reviews__course_id"),
            models.Index(fields=["course", "rating"], name="ix_reviews__course_rating"),
            models.Index(fields=["user"], name="ix_reviews__user_id"),
        ]
