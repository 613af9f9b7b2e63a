"""A student's session in the web app: log in, look at "my courses" and the recommendations, now and then enrol in
a course they do not have yet, study one enrolled course (watch videos with the player's progress heartbeats,
answer the quiz points reached, ask the AI tutor, mark a finished video complete), refresh the tokens the way the
client does before they run out, sometimes review the course or drop one they just tried, and log out.

Repeatable for hours without growing the data: progress, completion and reviews are one row per student and
video/course (updated in place), enrolment picks only courses the student is not enrolled in, and a dropped
enrolment is reactivated by the next enrol. What does grow is what grows in production with use: quiz attempts,
chat messages and login sessions, a few per session. API.md has no reflection route (VideoProgress's
`reflectionCount` is always 0), so the journey records none.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..operations import (
    ANSWER_QUIZ,
    CHAT,
    CHAT_HISTORY,
    COMPLETE_VIDEO,
    COURSE,
    COURSE_PROGRESS,
    COURSES,
    ENROL,
    HEARTBEAT,
    LEARNING_PATH,
    MY_ENROLMENTS,
    RECOMMENDED,
    REVIEW,
    UNENROL,
    VIDEO_PROGRESS,
)
from .base import CATALOGUE_QUERY, Journey, browsable

#: Another session of the same account may have enrolled between our listing and our enrol (shared accounts).
ALREADY_ENROLLED = ((409, "ALREADY_ENROLLED"),)
#: A player's progress reports per video in one sitting: 4-12 reports at ~10 s are 40-120 s of watching.
HEARTBEATS = (4, 12)
SPEEDS = (1.0, 1.0, 1.0, 1.25, 1.5, 2.0)
QUESTIONS = ("Can you explain this part again?", "What is the difference to the previous example?",
             "Why does this work?", "Give me a short summary of this segment.")


@dataclass(slots=True)
class Watch:
    """Where the player is in one video."""

    video: dict
    position: int = 0
    watched: int = 0
    speed: float = 1.0
    answered: set[str] = field(default_factory=set)

    @property
    def duration(self) -> int:
        return int(self.video.get("duration") or 0)


def _no_wait() -> None:
    return None


@dataclass(slots=True)
class StudentSession(Journey):
    heartbeat: Callable[[], None] = _no_wait  # the player's progress interval (scenarios/think.py)
    exclusive: bool = True  # False when another user holds the same account (scenarios/pool.py)

    def run(self) -> None:
        enrolled = self.my_courses()
        self.pause()
        self.api.call(RECOMMENDED, query={"limit": 10})
        joined = None
        if not enrolled or self.chance(0.3):
            self.pause()
            joined = self.enrol({c["id"] for c in enrolled})
        course_id = joined or (self.rng.choice(enrolled)["id"] if enrolled else None)
        if course_id is None:
            return  # enrolled everywhere already and the catalogue offered nothing new: a short visit
        self.study(course_id)
        self.after_study(course_id, joined)

    def my_courses(self) -> list[dict]:
        data = self.api.call(MY_ENROLMENTS, query={"page": 1, "limit": 100}) or {}
        return [c for c in browsable(data.get("courses", [])) if (c.get("enrollment") or {}).get("status") != "dropped"]

    def enrol(self, enrolled: set[str]) -> str | None:
        """Enrol in a catalogue course this student does not have (P16 -> P17 -> P21); its id, or None."""
        listing = self.api.call(COURSES, query={**CATALOGUE_QUERY, "sortBy": self.rng.choice(("popular", "rating")),
                                                "limit": 50}) or {}
        candidates = [c for c in browsable(listing.get("courses", [])) if c["id"] not in enrolled]
        if not candidates:
            return None
        course_id = self.rng.choice(candidates)["id"]
        self.pause()
        self.api.call(COURSE, ids={"course_id": course_id})
        self.pause()
        self.api.call(ENROL, ids={"course_id": course_id}, body={"paymentMethod": "card"}, expected=ALREADY_ENROLLED)
        return course_id

    def study(self, course_id: str) -> None:
        ids = {"course_id": course_id}
        self.api.call(COURSE_PROGRESS, ids=ids)
        detail = self.api.call(COURSE, ids=ids) or {}
        videos = [v for v in detail.get("videos", []) if v.get("id")]
        if not videos:
            return
        start = self.rng.randrange(len(videos))
        for number, video in enumerate(videos[start:start + self.rng.randint(1, 2)]):
            self.pause()
            self.watch(Watch(video, speed=self.rng.choice(SPEEDS)))
            if number == 0:
                self.api.refresh()

    def watch(self, watch: Watch) -> None:
        video_ids = {"video_id": watch.video["id"]}
        progress = self.api.call(VIDEO_PROGRESS, ids=video_ids) or {}
        watch.position, watch.watched = int(progress.get("lastPosition") or 0), int(progress.get("watchedSeconds") or 0)
        watch.answered = {a.get("quizId") for a in progress.get("quizAttempts") or []}
        if self.chance(0.3):
            self.api.call(CHAT_HISTORY, ids=video_ids)
        for _ in range(self.rng.randint(*HEARTBEATS)):
            self.heartbeat()
            self.report(watch)
            if watch.duration and watch.position >= watch.duration:
                break
        if self.chance(0.15):
            self.ask_tutor(watch)
        if self.chance(0.35):  # the rest of the video watched (or skipped to its end) later in the sitting
            self.pause()
            self.api.call(COMPLETE_VIDEO, ids=video_ids)

    def report(self, watch: Watch) -> None:
        """One heartbeat of the player (P25), and the quiz point it just passed, if any (P27)."""
        step = round(10 * watch.speed)
        before = watch.position
        watch.position = min(watch.position + step, watch.duration) if watch.duration else watch.position + step
        watch.watched += step
        self.api.call(HEARTBEAT, ids={"video_id": watch.video["id"]},
                      body={"watchedSeconds": watch.watched, "lastPosition": watch.position,
                            "playbackSpeed": watch.speed})
        for quiz in watch.video.get("quizPoints") or []:
            if quiz.get("id") not in watch.answered and before < int(quiz.get("timestamp") or 0) <= watch.position:
                watch.answered.add(quiz["id"])
                self.pause()
                self.api.call(ANSWER_QUIZ, ids={"video_id": watch.video["id"], "quiz_id": quiz["id"]},
                              body={"answer": self.rng.randrange(max(len(quiz.get("options") or []), 1)),
                                    "timeSpent": self.rng.randint(5, 40)})

    def ask_tutor(self, watch: Watch) -> None:
        self.pause()
        start = max(watch.position - 30, 0)
        self.api.call(CHAT, ids={"video_id": watch.video["id"]},
                      body={"message": self.rng.choice(QUESTIONS), "sessionId": "",
                            "videoContext": {"startTime": start, "endTime": watch.position,
                                             "content": watch.video.get("title", "")}})

    def after_study(self, course_id: str, joined: str | None) -> None:
        if self.chance(0.2):
            self.pause()
            self.api.call(REVIEW, ids={"course_id": course_id},
                          body={"rating": self.rng.choice((3, 4, 4, 5, 5)), "title": "Worth the time",
                                "comment": "Clear explanations and good pacing.", "pros": ["examples"], "cons": []})
        if self.chance(0.1):
            self.pause()
            self.api.call(LEARNING_PATH)
        # Trying a course and dropping it again: only a course enrolled in this very session, and only when no
        # other user holds the account (it could be watching that course right now).
        if joined and self.exclusive and self.chance(0.3):
            self.pause()
            self.api.call(UNENROL, ids={"course_id": joined})
