"""The writes the cross-write check makes, one `Step` per writable resource, in the order a user makes them.

A step is a write (`Call`) and the reads that show what it wrote. `{name}` in a path or body is a value the
journey learnt earlier (`keep`: a dotted path into the reply, e.g. "data.quizPoints.0.id"); `{tag}` is the
run's marker, different for each writer, so each journey creates its own users and courses and the two
writers start from equivalent states. `as_` names the caller (its Bearer token, learnt at login as
`token:<caller>`); "admin" is logged in once, before both journeys. The API is reached by its documented
paths only (API.md), so any pair of apps that serve it can be checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.http import ACCESS_TOKEN_AT, LOGIN_PATH, credentials

PASSWORD = "Cross-write-1"
#: A few bytes with an MP4 name and type: the local upload route checks the extension and declared type.
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    as_: str | None = None  # the caller; None: anonymous
    json: Any = None
    form: dict[str, str] | None = None  # multipart fields
    files: dict[str, tuple[str, str, bytes]] | None = None  # multipart files: field -> (filename, type, bytes)
    keep: dict[str, str] = field(default_factory=dict)  # name -> dotted path into the reply's JSON

    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Step:
    resource: str  # what is written, e.g. "course.update"
    write: Call
    reads: tuple[Call, ...] = ()
    status: int = 200  # the write's documented success status


def _signup(who: str) -> Step:
    return Step(f"user.signup ({who})", Call("POST", "/api/v1/auth/signup", json={
        "email": f"{{tag}}-{who}@example.com", "password": PASSWORD,
        "metadata": {"full_name": f"{who.title()} {{tag}}", "phone": "555-0100", "city": "Porto"}},
        keep={f"{who}_id": "data.user.id"}), status=201)


def _login(who: str, *, caller: str | None = None, resource: str = "session.login") -> Step:
    """`who` logs in (the API's login, as `harness.http.login` sends it); the session's token is kept for `caller`
    (default: `who`), its id as `<caller>_session`."""
    caller = caller or who
    email = f"{{tag}}-{who}@example.com"
    return Step(f"{resource} ({who})", Call("POST", LOGIN_PATH, json=credentials(email, PASSWORD),
                                            keep={f"token:{caller}": ACCESS_TOKEN_AT,
                                                  f"{caller}_session": "data.session_id"}),
        reads=(PROFILE(caller), Call("GET", "/api/v1/auth/sessions", as_=caller),
               Call("GET", "/api/v1/auth/roles", as_=caller)))


def PROFILE(who: str) -> Call:  # noqa: N802 - reads like the other call constants
    return Call("GET", "/api/v1/user/profile", as_=who)


OWN_COURSE = Call("GET", "/api/v1/instructor/courses/{course}", as_="teacher")
OWN_COURSES = Call("GET", "/api/v1/instructor/courses", as_="teacher")
COURSE_AS_OWNER = Call("GET", "/api/v1/courses/{course}", as_="teacher")
COURSE_PUBLIC = Call("GET", "/api/v1/courses/{course}")
CATALOGUE = Call("GET", "/api/v1/courses?search={tag}")
SECTIONS = Call("GET", "/api/v1/content/courses/{course}/sections", as_="teacher")
COURSE_MEDIA = Call("GET", "/api/v1/content/courses/{course}/media", as_="teacher")
MY_COURSES = Call("GET", "/api/v1/student/courses", as_="student")
COURSE_PROGRESS = Call("GET", "/api/v1/student/courses/{course}/progress", as_="student")
VIDEO_PROGRESS = Call("GET", "/api/v1/student/videos/{video1}/progress", as_="student")
REVIEWS = Call("GET", "/api/v1/courses/{course}/reviews")
MEDIA = Call("GET", "/api/v1/media/media/{media}", as_="teacher")
MY_MEDIA = Call("GET", "/api/v1/media/user/media", as_="teacher")
UNASSIGNED = Call("GET", "/api/v1/media/user/unassigned-videos", as_="teacher")
USAGE = Call("GET", "/api/v1/media/user/storage-usage", as_="teacher")

QUIZ_POINT = {"timestamp": 30, "question": "Which letter?", "options": ["a", "b", "c"], "correctAnswer": 1,
              "explanation": "b it is"}

JOURNEY: tuple[Step, ...] = (
    # -- accounts, sessions, roles ---------------------------------------------------------------------
    _signup("teacher"),
    _login("teacher"),
    Step("role.assign", Call("POST", "/api/v1/auth/users/{teacher_id}/roles", as_="admin", json={"role": "instructor"}),
         reads=(Call("GET", "/api/v1/auth/roles", as_="teacher"),
                Call("POST", "/api/v1/auth/check-role", as_="teacher", json={"role": "instructor"}))),
    Step("user.profile", Call("PUT", "/api/v1/user/profile", as_="teacher", json={
        "full_name": "Teacher {tag} Updated", "display_name": "T {tag}", "bio": "Teaches testing.",
        "phone": "555-0101", "metadata": {"expertise": ["testing", "python"], "city": "Lisbon"}}),
        reads=(PROFILE("teacher"),)),
    # -- a course, its sections, videos and quiz points ---------------------------------------------------
    Step("course.create", Call("POST", "/api/v1/instructor/courses", as_="teacher", json={
        "title": "Cross write {tag}", "description": "A course written by one app, read by both.",
        "shortDescription": "Cross-write", "price": 19.99, "currency": "EUR", "difficulty": "intermediate",
        "category": "Testing", "tags": ["migration", "parity"], "learningOutcomes": ["compare"],
        "prerequisites": ["python"], "targetAudience": ["engineers"], "courseStructure": {"weeks": 2}},
        keep={"course": "data.id"}), status=201, reads=(OWN_COURSE, OWN_COURSES, COURSE_AS_OWNER)),
    Step("course.update", Call("PUT", "/api/v1/instructor/courses/{course}", as_="teacher", json={
        "description": "Updated through one app.", "price": 24.5, "tags": ["migration", "parity", "blue-green"],
        "seoMetadata": {"metaTitle": "Cross write", "metaDescription": "Both apps, one database"}}),
        reads=(OWN_COURSE, COURSE_AS_OWNER)),
    Step("section.create", Call("POST", "/api/v1/content/courses/{course}/sections", as_="teacher", json={
        "title": "Section one {tag}", "description": "The first section"}, keep={"section": "data.id"}),
        status=201, reads=(SECTIONS, COURSE_MEDIA)),
    Step("section.update", Call("PUT", "/api/v1/content/sections/{section}", as_="teacher", json={
        "title": "Section one, renamed", "isPreview": True}), reads=(SECTIONS,)),
    Step("video.add", Call("POST", "/api/v1/instructor/courses/{course}/videos", as_="teacher", json={
        "title": "Video one", "description": "First", "videoUrl": "https://cdn.example.com/{tag}/one.mp4",
        "duration": 120, "sectionId": "{section}", "quizPoints": [QUIZ_POINT]},
        keep={"video1": "data.id", "quiz1": "data.quizPoints.0.id"}), status=201, reads=(OWN_COURSE, COURSE_AS_OWNER)),
    Step("video.add (second)", Call("POST", "/api/v1/instructor/courses/{course}/videos", as_="teacher", json={
        "title": "Video two", "videoUrl": "https://cdn.example.com/{tag}/two.mp4", "duration": 300,
        "resources": [{"title": "Notes", "url": "https://example.com/notes.pdf"}]}, keep={"video2": "data.id"}),
        status=201, reads=(OWN_COURSE,)),
    Step("video.update", Call("PUT", "/api/v1/instructor/videos/{video1}", as_="teacher", json={
        "title": "Video one, revised", "description": "Revised", "isPreview": True}), reads=(OWN_COURSE,)),
    Step("quiz.points", Call("PUT", "/api/v1/instructor/videos/{video1}", as_="teacher", json={
        "quizPoints": [QUIZ_POINT, {**QUIZ_POINT, "timestamp": 90, "question": "Which number?",
                                    "options": ["1", "2"], "correctAnswer": 0, "explanation": "one"}]},
        keep={"quiz1": "data.quizPoints.0.id", "quiz2": "data.quizPoints.1.id"}), reads=(OWN_COURSE,)),
    Step("video.reorder", Call("PUT", "/api/v1/instructor/courses/{course}/videos/reorder", as_="teacher",
                               json={"videoIds": ["{video2}", "{video1}"]}), reads=(OWN_COURSE,)),
    Step("course.publish", Call("POST", "/api/v1/instructor/courses/{course}/publish", as_="teacher"),
         reads=(COURSE_PUBLIC, CATALOGUE, OWN_COURSES)),
    # -- a student learns -------------------------------------------------------------------------------
    _signup("student"),
    _login("student"),
    Step("enrollment", Call("POST", "/api/v1/student/courses/{course}/enroll", as_="student",
                            json={"paymentMethod": "card"}), reads=(MY_COURSES, COURSE_PROGRESS, COURSE_PUBLIC)),
    Step("progress", Call("PUT", "/api/v1/student/videos/{video1}/progress", as_="student", json={
        "watchedSeconds": 60, "lastPosition": 61, "playbackSpeed": 1.5}), reads=(VIDEO_PROGRESS, COURSE_PROGRESS)),
    Step("progress.complete", Call("POST", "/api/v1/student/videos/{video1}/complete", as_="student"),
         reads=(VIDEO_PROGRESS, COURSE_PROGRESS, MY_COURSES)),
    Step("quiz.answer", Call("POST", "/api/v1/student/videos/{video1}/quiz/{quiz1}/answer", as_="student",
                             json={"answer": 1, "timeSpent": 12}), reads=(VIDEO_PROGRESS, COURSE_PROGRESS)),
    Step("review", Call("POST", "/api/v1/student/courses/{course}/review", as_="student", json={
        "rating": 4, "title": "Solid", "comment": "Clear and short.", "pros": ["clear"], "cons": ["short"]}),
        status=201, reads=(REVIEWS, COURSE_PUBLIC)),
    Step("review.update", Call("POST", "/api/v1/student/courses/{course}/review", as_="student", json={
        "rating": 5, "comment": "Better on a second look."}), reads=(REVIEWS, COURSE_PUBLIC)),
    Step("ai.chat", Call("POST", "/api/v1/ai/videos/{video1}/chat", as_="student", json={
        "message": "What happens at 0:30?", "videoContext": {"startTime": 25, "endTime": 35, "content": "letters"}},
        keep={"chat": "data.sessionId"}), reads=(Call("GET", "/api/v1/ai/videos/{video1}/chat?sessionId={chat}",
                                                      as_="student"),)),
    # -- media: presigned upload, attach, section assignment, delete; local file upload --------------------
    Step("media.upload", Call("POST", "/api/v1/media/upload/initiate", as_="teacher", json={
        "filename": "clip-{tag}.mp4", "fileSize": 1048576, "contentType": "video/mp4", "courseId": "{course}",
        "tags": ["raw"]}, keep={"upload": "data.sessionKey"}),
        reads=(Call("GET", "/api/v1/media/upload/progress/{upload}", as_="teacher"),)),
    Step("media.complete", Call("POST", "/api/v1/media/upload/complete", as_="teacher", json={"sessionKey": "{upload}"},
                                keep={"media": "data.mediaFileId"}), reads=(MEDIA, MY_MEDIA, USAGE, UNASSIGNED)),
    Step("media.attach", Call("POST", "/api/v1/media/media/{media}/attach-video", as_="teacher",
                              json={"videoId": "{video2}"}), reads=(MEDIA, OWN_COURSE)),
    Step("media.assign", Call("POST", "/api/v1/content/sections/{section}/media", as_="teacher", json={
        "mediaFileId": "{media}", "title": "Clip {tag}", "description": "In section one"}),
        reads=(SECTIONS, COURSE_MEDIA, MEDIA)),
    Step("media.unassign", Call("POST", "/api/v1/content/media/{media}/unassign", as_="teacher"),
         reads=(COURSE_MEDIA, UNASSIGNED, MEDIA)),
    Step("media.delete", Call("DELETE", "/api/v1/media/media/{media}", as_="teacher"),
         reads=(MEDIA, MY_MEDIA, OWN_COURSE, USAGE)),
    Step("file.upload", Call("POST", "/api/v1/videos/upload", as_="teacher", form={"course_id": "{course}"},
                             files={"video": ("lesson-{tag}.mp4", "video/mp4", VIDEO_BYTES)},
                             keep={"file": "data.file_path"}),
         reads=(MY_MEDIA, USAGE, Call("GET", "/api/v1/uploads/{file}", as_="teacher"))),
    Step("file.delete", Call("DELETE", "/api/v1/delete", as_="teacher", json={"file_path": "{file}"}),
         reads=(MY_MEDIA, Call("GET", "/api/v1/uploads/{file}", as_="teacher"))),
    # -- removals -----------------------------------------------------------------------------------------
    Step("video.delete", Call("DELETE", "/api/v1/instructor/videos/{video2}", as_="teacher"),
         reads=(OWN_COURSE, COURSE_PUBLIC)),
    Step("section.delete", Call("DELETE", "/api/v1/content/sections/{section}", as_="teacher"),
         reads=(SECTIONS, COURSE_MEDIA)),
    Step("enrollment.drop", Call("POST", "/api/v1/student/courses/{course}/unenroll", as_="student"),
         reads=(MY_COURSES, COURSE_PUBLIC)),
    _login("student", caller="student-phone", resource="session.second-login"),
    Step("session.revoke", Call("DELETE", "/api/v1/auth/sessions/{student-phone_session}", as_="student"),
         reads=(Call("GET", "/api/v1/auth/sessions", as_="student"),)),
    Step("course.delete", Call("DELETE", "/api/v1/instructor/courses/{course}", as_="teacher"),
         reads=(OWN_COURSES, OWN_COURSE, COURSE_PUBLIC, CATALOGUE)),
    Step("user.delete", Call("DELETE", "/api/v1/user/profile", as_="student"),
         reads=(PROFILE("student"), PROFILE("teacher"))),
)
