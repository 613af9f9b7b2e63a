"""AI tables (SCHEMA.md §2.16–2.17): tutor chats and course recommendations."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from . import columns as c
from .base import Base, ModelMixin


class AIChat(ModelMixin, Base):
    __tablename__ = "ai_chats"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    course_id: Mapped[str | None] = c.foreign_key("courses.id", "CASCADE", nullable=True)
    video_id: Mapped[str | None] = c.foreign_key("videos.id", "CASCADE", nullable=True)
    session_id: Mapped[str] = c.string(36)
    message: Mapped[str] = c.text()
    response: Mapped[str] = c.text(default="")
    message_type: Mapped[str] = c.string(20, default="question")
    context_data: Mapped[dict] = c.json("{}")
    tokens_used: Mapped[int] = c.integer(0)

    __table_args__ = (
        sa.Index("ix_ai_chats__user_session", "user_id", "session_id"),
        sa.Index("ix_ai_chats__course_created", "course_id", "created_at"),
        sa.Index("ix_ai_chats__user_video_created", "user_id", "video_id", "created_at"),
    )


class CourseRecommendation(ModelMixin, Base):
    __tablename__ = "course_recommendations"

    user_id: Mapped[str] = c.foreign_key("users.id", "CASCADE")
    course_id: Mapped[str] = c.foreign_key("courses.id", "CASCADE")
    score: Mapped[float] = c.double(0)
    reason: Mapped[str] = c.text(default="")
    source: Mapped[str] = c.string(50, default="ai")
    is_dismissed: Mapped[bool] = c.boolean(False)
    expires_at: Mapped[datetime | None] = c.timestamp()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "course_id", name="uq_course_recommendations__user_course"),
        sa.CheckConstraint("score BETWEEN 0 AND 1", name="ck_course_recommendations__score"),
        sa.Index("ix_course_recommendations__user_score", "user_id", sa.text("score DESC")),
    )
