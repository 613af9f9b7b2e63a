"""An instructor's authoring session: log in, look at their own courses (and now and then one of them in detail
with the AI's advice), then build a small course the way the studio does it: create it, add sections, upload a
video file (initiate and complete, API.md P53/P54), add videos with a quiz point, attach the upload to one, reorder
the videos, publish, edit, look at it, and log out.

Repeatable for hours: the course is tagged `EPHEMERAL_TAG` and deleted again at the end of the session, with its
media file (both soft deletes, API.md P33/P59), and leftovers of an interrupted session are deleted at the start of
the next one, so the instructor's list and the catalogue stay the seeded size.

The upload itself (the multipart POST of the bytes to the presigned `uploadUrl`) is left out: it goes to the
storage bucket (B2, or the apps' local stand-in at /_local-bucket/upload), which is not an operation of the API
under test, and the local storage backend completes a session without the bytes (as the Postman collection does).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..api import JourneyAborted
from ..operations import (
    ADD_SECTION,
    ADD_VIDEO,
    ATTACH_MEDIA,
    COURSE_ADVICE,
    CREATE_COURSE,
    DELETE_COURSE,
    DELETE_MEDIA,
    EDIT_COURSE,
    OWN_COURSE,
    OWN_COURSES,
    PUBLISH,
    REORDER_VIDEOS,
    SECTIONS,
    UPLOAD_COMPLETE,
    UPLOAD_INITIATE,
    UPLOAD_PROGRESS,
)
from .base import EPHEMERAL_TAG, Journey, browsable

TOPICS = ("Async Python", "SQL Performance", "Design Systems", "Testing in Practice", "Data Visualisation")
FILE_SIZE = 48 * 1024 * 1024  # a few minutes of 1080p


@dataclass(slots=True)
class AuthoringSession(Journey):
    exclusive: bool = True  # False when another user holds the same account (scenarios/pool.py)

    def run(self) -> None:
        own = self.own_courses()
        if self.chance(0.3) and browsable(own):
            self.pause()
            self.review_course(self.rng.choice(browsable(own))["id"])
        self.pause()
        course_id = self.create_course()
        try:
            self.build(course_id)
        except JourneyAborted:  # tidy up what was built before the failure, then end the session
            self.api.call(DELETE_COURSE, ids={"course_id": course_id})
            raise
        self.pause()
        self.api.call(DELETE_COURSE, ids={"course_id": course_id})

    def own_courses(self) -> list[dict]:
        courses = (self.api.call(OWN_COURSES, query={"page": 1, "limit": 100}) or {}).get("courses", [])
        if self.exclusive:  # leftovers of a session that was stopped half-way (a shared account may be mid-build)
            for course in courses:
                if EPHEMERAL_TAG in (course.get("tags") or []):
                    self.api.call(DELETE_COURSE, ids={"course_id": course["id"]})
        return courses

    def review_course(self, course_id: str) -> None:
        self.api.call(OWN_COURSE, ids={"course_id": course_id})
        self.pause()
        self.api.call(COURSE_ADVICE, ids={"course_id": course_id})

    def create_course(self) -> str:
        topic = self.rng.choice(TOPICS)
        data = self.api.call(CREATE_COURSE, body={
            "title": f"{topic}: a hands-on workshop", "description": f"Build real things with {topic.lower()}.",
            "shortDescription": f"{topic} in practice", "price": self.rng.choice((0, 19.99, 49.0)),
            "difficulty": self.rng.choice(("beginner", "intermediate", "advanced")), "category": "Programming",
            "tags": [EPHEMERAL_TAG, topic.lower().replace(" ", "-")], "learningOutcomes": [f"Use {topic}"]}) or {}
        if not data.get("id"):
            raise JourneyAborted("the new course has no id")
        return data["id"]

    def build(self, course_id: str) -> None:
        sections = [self.add_section(course_id, n) for n in (1, 2)]
        media_id = self.upload_video(course_id)
        try:
            self.assemble(course_id, sections, media_id)
        except JourneyAborted:
            self.api.call(DELETE_MEDIA, ids={"media_file_id": media_id}, bearer=True)
            raise
        self.api.call(DELETE_MEDIA, ids={"media_file_id": media_id}, bearer=True)

    def assemble(self, course_id: str, sections: list[str], media_id: str) -> None:
        """Videos (the upload attached to the first), reordered, published, edited and looked at."""
        ids = {"course_id": course_id}
        videos = [self.add_video(course_id, sections[n // 2], n) for n in range(3)]
        self.pause()
        self.api.call(ATTACH_MEDIA, ids={"media_file_id": media_id}, body={"videoId": videos[0]}, bearer=True)
        self.pause()
        self.api.call(REORDER_VIDEOS, ids=ids, body={"videoIds": list(reversed(videos))})
        self.api.call(SECTIONS, ids=ids)
        self.pause()
        self.api.call(PUBLISH, ids=ids)
        self.pause()
        self.api.call(EDIT_COURSE, ids=ids, body={"description": "Updated after publishing: new exercises.",
                                                  "seoMetadata": {"metaTitle": "Workshop"}})
        self.api.call(OWN_COURSE, ids=ids)

    def add_section(self, course_id: str, number: int) -> str:
        self.pause()
        data = self.api.call(ADD_SECTION, ids={"course_id": course_id},
                             body={"title": f"Part {number}", "description": f"Part {number} of the workshop"}) or {}
        return str(data.get("id"))

    def upload_video(self, course_id: str) -> str:
        """P53 -> (bytes to the bucket, skipped: see the module doc) -> P55 -> P54; the media file's id."""
        self.pause()
        session = self.api.call(UPLOAD_INITIATE, bearer=True, body={
            "filename": "lesson.mp4", "fileSize": FILE_SIZE, "contentType": "video/mp4", "courseId": course_id,
            "tags": ["lesson"]}) or {}
        key = session.get("sessionKey")
        if not key:
            raise JourneyAborted("the upload session has no sessionKey")
        self.api.call(UPLOAD_PROGRESS, ids={"session_key": key}, bearer=True)
        done = self.api.call(UPLOAD_COMPLETE, bearer=True,
                             body={"sessionKey": key, "storageKey": session.get("storageKey")}) or {}
        if not done.get("mediaFileId"):
            raise JourneyAborted("the completed upload has no mediaFileId")
        return done["mediaFileId"]

    def add_video(self, course_id: str, section_id: str, number: int) -> str:
        self.pause()
        data = self.api.call(ADD_VIDEO, ids={"course_id": course_id}, body={
            "title": f"Lesson {number + 1}", "description": "Walk-through with exercises",
            "videoUrl": f"https://cdn.unpuzzle.test/videos/workshop-{number + 1}.mp4", "duration": 420 + 60 * number,
            "sectionId": section_id, "isPreview": number == 0,
            "quizPoints": [{"timestamp": 120, "question": "What did this lesson build?",
                            "options": ["A parser", "A server", "A cache"], "correctAnswer": 1,
                            "explanation": "It built a small server."}]}) or {}
        if not data.get("id"):
            raise JourneyAborted("the new video has no id")
        return data["id"]
