"""Learning-module response objects of API.md §2 (camelCase)."""
from __future__ import annotations

from typing import Any

from reference_django.common.serializers import iso

from .models import Review


def review(r: Review) -> dict[str, Any]:
    """`r.user` should be select_related by the caller."""
    u = r.user
    return {"id": r.id, "userId": r.user_id, "userName": u.full_name or u.display_name or u.email,
            "userAvatar": u.avatar_url, "courseId": r.course_id, "rating": r.rating, "title": r.title,
            "comment": r.comment, "pros": list(r.pros or []), "cons": list(r.cons or []),
            "helpful": r.helpful_count, "verified": r.is_verified_purchase,
            "createdAt": iso(r.created_at), "updatedAt": iso(r.updated_at)}
