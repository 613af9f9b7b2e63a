"""Learning tables (SCHEMA.md §2.11–2.15): quiz attempts, enrollments, progress, reviews."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from . import columns as c
from .base import Base, ModelMixin


class QuizAttempt(ModelMixin, Base):
    __tablename__ = "quiz_attempts"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    quiz_id: Mapped[str] = c.foreign_key("quizzes.id", "CASCADE")
    video_id: Mapped[str] = c.foreign_key("videos.id", "CASCADE")
    started_at: Mapped[datetime] = c.timestamp(nullable=False, now=True)
    completed_at: Mapped[datetime | None] = c.timestamp()
    answers: Mapped[dict] = c.json("{}")
    is_passed: Mapped[bool] = c.boolean(False)
    score: Mapped[float] = c.double(0)
    percentage: Mapped[float] = c.double(0)
    time_taken: Mapped[int] = c.integer(0)
    attempt_number: Mapped[int] = c.integer(1)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "quiz_id", "attempt_number", name="uq_quiz_attempts__user_quiz_attempt"),
        sa.Index("ix_quiz_attempts__user_quiz", "user_id", "quiz_id"),
        sa.Index("ix_quiz_attempts__user_video", "user_id", "video_id"),
    )


class Enrollment(ModelMixin, Base):
    __tablename__ = "enrollments"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    enrolled_at: Mapped[datetime] = c.timestamp(nullable=False, now=True)
    completed_at: Mapped[datetime | None] = c.timestamp()
    status: Mapped[str] = c.string(20, default="active")
    progress_percentage: Mapped[float] = c.double(0)
    last_accessed: Mapped[datetime | None] = c.timestamp()
    certificate_issued: Mapped[bool] = c.boolean(False)
    certificate_url: Mapped[str | None] = c.text(nullable=True)
    payment_method: Mapped[str | None] = c.string(50, nullable=True)
    coupon_code: Mapped[str | None] = c.string(50, nullable=True)
    payment_amount: Mapped[Decimal | None] = c.money(nullable=True)
    payment_currency: Mapped[str | None] = c.string(3, nullable=True)

    course = relationship("Course", lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", name="uq_user_course"),
        sa.CheckConstraint("progress_percentage BETWEEN 0 AND 100", name="ck_enrollments__progress"),
        sa.Index("ix_enrollments__user_status", "user_id", "status"),
        sa.Index("ix_enrollments__course_status", "course_id", "status"),
    )


class CourseProgress(ModelMixin, Base):
    __tablename__ = "course_progress"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    section_id: Mapped[str | None] = c.foreign_key("course_sections.id", "CASCADE", nullable=True)
    completed_videos: Mapped[list] = c.json("[]")
    last_video_id: Mapped[str | None] = c.string(36, nullable=True)
    total_watch_time: Mapped[int] = c.integer(0)
    completion_percentage: Mapped[float] = c.double(0)
    last_updated: Mapped[datetime] = c.timestamp(nullable=False, now=True)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", "section_id", name="uq_course_progress__user_course_section"),
        sa.Index("uq_course_progress__course_level", "user_id", "course_id", unique=True,
                 postgresql_where=sa.text("section_id IS NULL"), sqlite_where=sa.text("section_id IS NULL")),
        sa.Index("ix_course_progress__user_course", "user_id", "course_id"),
    )


class VideoProgress(ModelMixin, Base):
    __tablename__ = "video_progress"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    video_id: Mapped[str] = c.foreign_key("videos.id", "CASCADE")
    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    watch_time: Mapped[int] = c.integer(0)
    last_position: Mapped[int] = c.integer(0)
    completed: Mapped[bool] = c.boolean(False)
    completion_percentage: Mapped[float] = c.double(0)
    playback_speed: Mapped[float] = c.double(1.0)
    completed_at: Mapped[datetime | None] = c.timestamp()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "video_id", name="uq_video_progress__user_video"),
        sa.Index("ix_video_progress__user_course_completed", "user_id", "course_id", "completed"),
        sa.Index("idx_video_progress_completed", "completed", "user_id"),
    )


class Review(ModelMixin, Base):
    __tablename__ = "reviews"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    rating: Mapped[int] = c.integer()
    title: Mapped[str | None] = c.string(255, nullable=True)
    comment: Mapped[str] = c.text(default="")
    pros: Mapped[list] = c.json("[]")
    cons: Mapped[list] = c.json("[]")
    is_verified_purchase: Mapped[bool] = c.boolean(True)
    helpful_count: Mapped[int] = c.integer(0)
    reported_count: Mapped[int] = c.integer(0)

    user = relationship("User", lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", name="uq_reviews__user_course"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews__rating"),
        sa.Index("ix_reviews__course_rating", "course_id", "rating"),
    )
