"""AI feature writes (API.md §3.6): the video tutor's exchanges, one `ai_chats` row per user message
and its reply (P44)."""
from __future__ import annotations

from typing import Any

from django.db import transaction

import ai_stub
from reference_django.accounts.models import User
from reference_django.common.models import new_id
from reference_django.courses.models import Video

from .models import AIChat


@transaction.atomic
def ai_chat_create(*, user: User, video: Video, message: str, video_context: dict[str, Any] | None,
                   session_id: str | None) -> AIChat:
    """Answers `message` about `video` (whose `course` is loaded) and stores the exchange. No
    `session_id` (or "") starts a new conversation."""
    intent = ai_stub.detect_intent(message)
    reply = ai_stub.chat_reply(message, intent=intent, video_title=video.title, course_title=video.course.title,
                               context=video_context)
    return AIChat.objects.create(
        user_id=user.id, course_id=video.course_id, video_id=video.id, session_id=session_id or new_id(),
        message=message, response=reply, message_type="question",
        context_data={"intent": intent, **({"videoContext": video_context} if video_context else {})},
        tokens_used=ai_stub.estimate_tokens(message, reply), created_by_id=user.id)
