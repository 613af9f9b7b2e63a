"""Course content tables (SCHEMA.md §2.7–2.10): courses, sections, videos, quizzes."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from . import columns as c
from .base import Base, ModelMixin

_name = sa.sql.elements.conv  # a name given verbatim by SCHEMA.md, exempt from the naming convention


class Course(ModelMixin, Base):
    __tablename__ = "courses"

    instructor_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    title: Mapped[str] = c.string(255)
    slug: Mapped[str] = c.string(255)
    description: Mapped[str] = c.text(default="")
    short_description: Mapped[str] = c.string(500, default="")
    thumbnail_url: Mapped[str | None] = c.text(nullable=True)
    preview_video_url: Mapped[str | None] = c.text(nullable=True)
    price: Mapped[Decimal] = c.money(0)
    currency: Mapped[str] = c.string(3, default="USD")
    discount_price: Mapped[Decimal | None] = c.money(nullable=True)
    is_free: Mapped[bool] = c.boolean(False)
    duration: Mapped[int] = c.integer(0)
    difficulty: Mapped[str] = c.string(20, default="beginner")
    language: Mapped[str] = c.string(10, default="en")
    category: Mapped[str | None] = c.string(100, nullable=True)
    tags: Mapped[list] = c.json("[]")
    prerequisites: Mapped[list] = c.json("[]")
    learning_outcomes: Mapped[list] = c.json("[]")
    target_audience: Mapped[list] = c.json("[]")
    course_structure: Mapped[dict | None] = c.json(None, nullable=True)
    enrollment_count: Mapped[int] = c.integer(0)
    completion_count: Mapped[int] = c.integer(0)
    rating: Mapped[float] = c.double(0)
    rating_count: Mapped[int] = c.integer(0)
    status: Mapped[str] = c.string(20, default="draft")
    is_published: Mapped[bool] = c.boolean(False)
    published_at: Mapped[datetime | None] = c.timestamp()
    metadata_: Mapped[dict] = c.json("{}", name="metadata")
    seo_metadata: Mapped[dict] = c.json("{}")

    instructor = relationship("User", lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.CheckConstraint("rating >= 0 AND rating <= 5", name=_name("chk_course_rating")),
        sa.CheckConstraint("price >= 0", name=_name("chk_course_price")),
        sa.CheckConstraint("discount_price IS NULL OR discount_price >= 0", name="ck_courses__discount_price"),
        sa.UniqueConstraint("slug"),
        sa.Index(None, "is_published"),
        sa.Index("idx_course_rating", sa.text("rating DESC")),
        sa.Index("idx_course_enrollment", sa.text("enrollment_count DESC")),
        sa.Index("ix_courses__title_status_published", "title", "status", "is_published"),
        sa.Index("ix_courses__instructor_status", "instructor_id", "status"),
        sa.Index("ix_courses__category_status_published", "category", "status", "is_published"),
        sa.Index("ix_courses__price_free_status", "price", "is_free", "status"),
        sa.Index(None, "difficulty"),
        sa.Index(None, "status"),
    )


class CourseSection(ModelMixin, Base):
    __tablename__ = "course_sections"

    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    title: Mapped[str] = c.string(255)
    description: Mapped[str] = c.text(default="")
    order: Mapped[int] = c.integer(0)
    is_published: Mapped[bool] = c.boolean(True)
    is_preview: Mapped[bool] = c.boolean(False)

    __table_args__ = (sa.Index("ix_course_sections__course_order", "course_id", "order"),)


class Video(ModelMixin, Base):
    __tablename__ = "videos"

    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    section_id: Mapped[str | None] = c.foreign_key("course_sections.id", "SET NULL", nullable=True)
    media_file_id: Mapped[str | None] = c.foreign_key("media_files.id", "SET NULL", nullable=True)
    title: Mapped[str] = c.string(255)
    description: Mapped[str | None] = c.text(nullable=True)
    video_url: Mapped[str | None] = c.text(nullable=True)
    video_provider: Mapped[str] = c.string(50, default="backblaze")
    thumbnail_url: Mapped[str | None] = c.text(nullable=True)
    duration_seconds: Mapped[int] = c.integer(0)
    order: Mapped[int] = c.integer(0)
    is_preview: Mapped[bool] = c.boolean(False)
    is_downloadable: Mapped[bool] = c.boolean(False)
    is_published: Mapped[bool] = c.boolean(True)
    transcript_url: Mapped[str | None] = c.text(nullable=True)
    subtitles_url: Mapped[str | None] = c.text(nullable=True)
    transcript: Mapped[list] = c.json("[]")
    resources: Mapped[list] = c.json("[]")
    metadata_: Mapped[dict | None] = c.json(None, nullable=True, name="metadata")
    video_quality: Mapped[str] = c.string(20, default="720p")
    has_captions: Mapped[bool] = c.boolean(False)
    caption_languages: Mapped[list] = c.json("[]")

    quizzes: Mapped[list[Quiz]] = relationship(
        primaryjoin="and_(Video.id == Quiz.video_id, Quiz.is_deleted == False)",
        order_by="(Quiz.timestamp_seconds, Quiz.order_index, Quiz.id)", viewonly=True, lazy="selectin")

    __table_args__ = (sa.Index("ix_videos__course_order", "course_id", "order"),)


class Quiz(ModelMixin, Base):
    __tablename__ = "quizzes"

    video_id: Mapped[str] = c.foreign_key("videos.id", "CASCADE")
    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    timestamp_seconds: Mapped[int] = c.integer(0)
    question: Mapped[str] = c.text()
    options: Mapped[list] = c.json("[]")
    correct_answer: Mapped[int] = c.integer()
    explanation: Mapped[str] = c.text(default="")
    order_index: Mapped[int] = c.integer(0)

    __table_args__ = (
        sa.CheckConstraint("correct_answer >= 0", name="ck_quizzes__correct_answer_nonneg"),
        sa.CheckConstraint("timestamp_seconds >= 0", name="ck_quizzes__timestamp_nonneg"),
        sa.Index("ix_quizzes__video_ts", "video_id", "timestamp_seconds"),
    )
