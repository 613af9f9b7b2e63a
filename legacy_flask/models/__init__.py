"""The 21 legacy tables as typed SQLAlchemy 2 models (SCHEMA.md)."""
from __future__ import annotations

from .accounts import Permission, Role, RolePermission, User, UserActivity, UserPermission, UserRole, UserSession
from .ai import AIChat, CourseRecommendation
from .base import Base, new_id, utcnow
from .courses import Course, CourseSection, Quiz, Video
from .learning import CourseProgress, Enrollment, QuizAttempt, Review, VideoProgress
from .media import MediaFile, UploadSession

__all__ = [
    "AIChat", "Base", "Course", "CourseProgress", "CourseRecommendation", "CourseSection", "Enrollment",
    "MediaFile", "Permission", "Quiz", "QuizAttempt", "Review", "Role", "RolePermission", "UploadSession",
    "User", "UserActivity", "UserPermission", "UserRole", "UserSession", "Video", "VideoProgress",
    "new_id", "utcnow",
]
