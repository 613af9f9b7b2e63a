"""The contract operations the journeys send, each with the status(es) API.md documents as its success.

A request's locust name is its operation: "METHOD /path/{template}", exactly as contracts/openapi.yaml writes it,
so the load figures line up with the contract, the gates and the other areas. Journeys send requests only through
these constants (scenarios/api.py fills the path template in), so no request can carry a name of its own making.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # the contract's path template
    success: tuple[int, ...] = (200,)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, **ids: str) -> str:
        return self.path.format(**ids)


# -- auth (API.md §3.1) -------------------------------------------------------------------------------------------
LOGIN = Operation("POST", "/api/v1/auth/login")
LOGOUT = Operation("POST", "/api/v1/auth/logout")
REFRESH = Operation("POST", "/api/v1/auth/refresh")

# -- public catalogue (§3.3) --------------------------------------------------------------------------------------
COURSES = Operation("GET", "/api/v1/courses")
COURSE = Operation("GET", "/api/v1/courses/{course_id}")
COURSE_REVIEWS = Operation("GET", "/api/v1/courses/{course_id}/reviews")
RECOMMENDED = Operation("GET", "/api/v1/courses/recommended")

# -- student learning (§3.4) and the AI tutor (§3.6) --------------------------------------------------------------
MY_ENROLMENTS = Operation("GET", "/api/v1/student/courses")
ENROL = Operation("POST", "/api/v1/student/courses/{course_id}/enroll")
UNENROL = Operation("POST", "/api/v1/student/courses/{course_id}/unenroll")
COURSE_PROGRESS = Operation("GET", "/api/v1/student/courses/{course_id}/progress")
REVIEW = Operation("POST", "/api/v1/student/courses/{course_id}/review", (200, 201))  # 201 new, 200 updated
VIDEO_PROGRESS = Operation("GET", "/api/v1/student/videos/{video_id}/progress")
HEARTBEAT = Operation("PUT", "/api/v1/student/videos/{video_id}/progress")
COMPLETE_VIDEO = Operation("POST", "/api/v1/student/videos/{video_id}/complete")
ANSWER_QUIZ = Operation("POST", "/api/v1/student/videos/{video_id}/quiz/{quiz_id}/answer")
CHAT_HISTORY = Operation("GET", "/api/v1/ai/videos/{video_id}/chat")
CHAT = Operation("POST", "/api/v1/ai/videos/{video_id}/chat")
LEARNING_PATH = Operation("GET", "/api/v1/ai/users/learning-path")

# -- instructor (§3.5, §3.10, §3.9, §3.6) -------------------------------------------------------------------------
OWN_COURSES = Operation("GET", "/api/v1/instructor/courses")
OWN_COURSE = Operation("GET", "/api/v1/instructor/courses/{course_id}")
CREATE_COURSE = Operation("POST", "/api/v1/instructor/courses", (201,))
EDIT_COURSE = Operation("PUT", "/api/v1/instructor/courses/{course_id}")
DELETE_COURSE = Operation("DELETE", "/api/v1/instructor/courses/{course_id}")
PUBLISH = Operation("POST", "/api/v1/instructor/courses/{course_id}/publish")
ADD_VIDEO = Operation("POST", "/api/v1/instructor/courses/{course_id}/videos", (201,))
REORDER_VIDEOS = Operation("PUT", "/api/v1/instructor/courses/{course_id}/videos/reorder")
SECTIONS = Operation("GET", "/api/v1/content/courses/{course_id}/sections")
ADD_SECTION = Operation("POST", "/api/v1/content/courses/{course_id}/sections", (201,))
UPLOAD_INITIATE = Operation("POST", "/api/v1/media/upload/initiate")
UPLOAD_PROGRESS = Operation("GET", "/api/v1/media/upload/progress/{session_key}")
UPLOAD_COMPLETE = Operation("POST", "/api/v1/media/upload/complete")
ATTACH_MEDIA = Operation("POST", "/api/v1/media/media/{media_file_id}/attach-video")
DELETE_MEDIA = Operation("DELETE", "/api/v1/media/media/{media_file_id}")
COURSE_ADVICE = Operation("GET", "/api/v1/ai/courses/{course_id}/recommendations")

ALL: tuple[Operation, ...] = tuple(value for value in dict(globals()).values() if isinstance(value, Operation))
