"""The `roundtrip` source: every write read back through each operation that shows what it wrote, as the caller
who sees it, on objects the source creates itself; sent through the fan-out like every other source, so each
write and each read is compared with legacy's.

It never touches the seeded rows the other sources read: its accounts sign up for the run (the instructor gets
its role from the seeded admin through P10), and its course, sections, videos, quiz points, enrolment, progress and
review are its own. What it drives, in the order of `STEPS`:
- accounts: a student signs up with its e-mail in mixed case and between spaces (the contract: stored trimmed and
  lower-cased, compared case-insensitively), signs up again in another spelling (409) and logs in in each
  spelling; the admin grants the instructor role twice (P10 is idempotent);
- the course (publishing it refused while it has no video), two sections and two videos, created with the
  nullable fields absent or `null`; then publish, unpublish, publish;
- the fields of a section, a video and the course written `null`, empty ("", [] or {} where the request allows
  it) and set again, and non-nullable ones `null` (refused), on the published course so the public views show
  them;
- enrol, unenrol, enrol (with the refusals between: unenrolling twice, a null payment method, enrolling a third
  time), then the counters and lists; progress written and rewound, the video completed twice, the quiz point
  answered right and wrong;
- the review created, then updated twice; the student's profile (shown in its review) and the instructor's
  (shown in the course) written like the fields above;
- delete, read (404), delete again: a video, a section and finally the course.
`SHOWN_BY` says which operations show each kind of object (API.md and the contract's links). A step that the
later steps build on and that legacy refuses ends the source, with a `Skip` saying which.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.http import Reply, Sent, access_token, json_at, json_request, login_request

from .gate import Skip, SkipReason

API = "/api/v1"
#: The callers of the run, by the name `Read.caller` uses; None is anonymous.
ADMIN, INSTRUCTOR, STUDENT = "admin", "instructor", "student"
PASSWORD = "Roundtrip123!"
INSTRUCTOR_EMAIL = "roundtrip.instructor@example.test"
STUDENT_EMAIL = "roundtrip.student@example.test"
#: The student's e-mail as sent at signup and at login: other case, surrounding spaces (the contract's P1/P2
#: pattern allows the spaces; the address is stored trimmed and lower-cased and compared case-insensitively).
STUDENT_SPELLINGS = ("  Roundtrip.Student@Example.TEST ", "ROUNDTRIP.STUDENT@EXAMPLE.TEST",
                     " roundtrip.student@example.test", STUDENT_EMAIL)
#: A word only the source's course title holds: the listing's search finds that course and no other. The listing
#: reads it in other case (API.md P16: `search` is a case-insensitive substring, `category` a case-insensitive
#: equality).
SEARCH = "roundtripcourse"


@dataclass(frozen=True, slots=True)
class Read:
    """A GET that shows a written object: its path under /api/v1 (`{name}`s filled from the ids the run
    minted) and who asks (a caller of the run; None: anonymously)."""

    path: str
    caller: str | None = None


P13_STUDENT, P13_INSTRUCTOR = Read("/user/profile", STUDENT), Read("/user/profile", INSTRUCTOR)
P16 = Read(f"/courses?search={SEARCH.upper()}")
P16_CATEGORY = Read(f"/courses?search={SEARCH}&category=rOUNDTRIP")
P17, P17_STUDENT = Read("/courses/{course}"), Read("/courses/{course}", STUDENT)
P18 = Read("/courses/{course}/reviews")
P20, P23 = Read("/student/courses", STUDENT), Read("/student/courses/{course}/progress", STUDENT)
P24 = Read("/student/videos/{video}/progress", STUDENT)
P29, P30 = Read("/instructor/courses", INSTRUCTOR), Read("/instructor/courses/{course}", INSTRUCTOR)
X1 = Read("/content/courses/{course}/sections", INSTRUCTOR)
X1_STUDENT = Read("/content/courses/{course}/sections", STUDENT)

#: kind of object written -> every operation that shows it, as the caller who sees it (X1 and X8 list media
#: files, not videos: a video shows in the course's detail).
SHOWN_BY: dict[str, tuple[Read, ...]] = {
    "roles": (Read("/auth/roles", INSTRUCTOR),),
    "student": (P13_STUDENT,),
    "course": (P30, P17, P16, P16_CATEGORY, P29),
    "section": (X1, X1_STUDENT, P17),
    "video": (P30, P17),
    "enrolment": (P20, P23, P17_STUDENT, P29),
    "progress": (P24, P23),
    "review": (P18, P17),
    "student-profile": (P13_STUDENT, P18),
    "instructor-profile": (P13_INSTRUCTOR, P17),
}

QUIZ_POINT = {"timestamp": 10, "question": "What is read back?", "options": ["Nothing", "What was written"],
              "correctAnswer": 1, "explanation": "A write is only done once it reads back."}
#: P31: the title alone, every nullable field absent.
NEW_COURSE = {"title": f"The {SEARCH} write-then-read course"}
#: P37: the first video (with a quiz point), the nullable fields absent.
FIRST_VIDEO = {"title": "Video one", "videoUrl": "https://cdn.example.test/1.mp4", "duration": 120,
               "quizPoints": [QUIZ_POINT]}
#: P37: the second video, every nullable field null and every list empty.
NULL_VIDEO = {"title": "Every nullable field null", "videoUrl": "https://cdn.example.test/null.mp4",
              "description": None, "thumbnailUrl": None, "transcriptUrl": None, "subtitlesUrl": None,
              "sectionId": None, "mediaFileId": None, "resources": [], "quizPoints": []}
#: P32, in order: the nullable fields null, then every field that takes one empty, then set; a non-nullable null.
COURSE_WRITES: tuple[dict[str, Any], ...] = (
    {"thumbnailUrl": None, "category": None, "courseStructure": None},
    {"thumbnailUrl": "", "category": "", "courseStructure": {}, "description": "", "shortDescription": "",
     "tags": [], "prerequisites": [], "learningOutcomes": [], "targetAudience": []},
    {"thumbnailUrl": "https://cdn.example.test/roundtrip.png", "category": "Roundtrip", "tags": ["roundtrip"],
     "courseStructure": {"modules": 2}, "seoMetadata": {"metaTitle": None, "metaDescription": ""}},
    {"seoMetadata": {"metaTitle": "Read back"}, "thumbnailUrl": None},
    {"description": None},
)
#: X3, in order, on the first section (created without a description): the description null, empty, a title empty
#: (refused), the description set with the section hidden, the section shown again.
SECTION_WRITES: tuple[dict[str, Any], ...] = (
    {"description": None}, {"description": ""}, {"title": ""}, {"description": "Read back.", "isPublished": False},
    {"isPublished": True},
)
#: P38, in order, on the first video: the nullable fields empty, then null; the lists empty; the URL removed, null
#: and empty (refused: the video has no media file); a non-nullable null.
VIDEO_WRITES: tuple[dict[str, Any], ...] = (
    {"description": "", "thumbnailUrl": "", "transcriptUrl": "", "subtitlesUrl": ""},
    {"description": None, "thumbnailUrl": None, "transcriptUrl": None, "subtitlesUrl": None, "sectionId": None},
    {"resources": [], "quizPoints": []},
    {"videoUrl": None},
    {"videoUrl": ""},
    {"title": None},
)
#: P28, in order, with the status each answers: created without the optional fields, then updated twice.
REVIEW_WRITES: tuple[tuple[dict[str, Any], int], ...] = (
    ({"rating": 4}, 201),
    ({"rating": 2, "title": None, "comment": "", "pros": [], "cons": []}, 200),
    ({"rating": 5, "title": "Worth it", "comment": "Clear.", "pros": ["pace"], "cons": ["none"]}, 200),
)
#: P14 on the student (shown in its review), in order: the nullable fields null, the others empty, a username
#: empty (refused), then set.
STUDENT_PROFILE_WRITES: tuple[dict[str, Any], ...] = (
    {"avatar_url": None, "username": None},
    {"avatar_url": "", "bio": "", "full_name": "", "phone": "", "display_name": "", "metadata": {}},
    {"username": ""},
    {"avatar_url": "https://cdn.example.test/rita.png", "full_name": "Rita Roundtrip", "username": "rita-roundtrip",
     "metadata": {"timezone": "UTC"}},
)
#: P14 on the instructor (shown in the course's InstructorRef): null and empty, then set.
INSTRUCTOR_PROFILE_WRITES: tuple[dict[str, Any], ...] = (
    {"avatar_url": None, "bio": "", "full_name": "", "display_name": ""},
    {"avatar_url": "", "full_name": "Ivan Roundtrip", "bio": "Writes, then reads."},
)


class Refused(Exception):
    """Legacy answered a request the later steps build on otherwise than documented (its text says how)."""

    @classmethod
    def answered(cls, reply: Reply, what: str, documented: int) -> Refused:
        return cls(f"legacy answered {reply.status} to {what} (documented: {documented})")


class RoundTrip:
    """Sends the source's requests through `send` (the fan-out's) and keeps what legacy minted: ids by name
    (filling `Read.path`) and each caller's Bearer token."""

    def __init__(self, send: Callable[[Sent], Reply], admin: tuple[str, str]) -> None:
        self.send_raw, self.admin = send, admin
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    # -- plumbing ---------------------------------------------------------------------------------------------

    def call(self, method: str, path: str, caller: str | None = None, body: Any = None) -> Reply:
        token = self.tokens.get(caller) if caller else None
        headers = [("Authorization", f"Bearer {token}")] if token else []
        return self.send_raw(json_request(method, API + path.format_map(self.ids), body, headers))

    def write(self, method: str, path: str, caller: str | None, body: Any, *shows: str, expect: int | None = None,
              mint: str | None = None) -> Reply:
        """One write, then every read of each kind of object it `shows`; `expect`: the status the later steps
        need (else `Refused`); `mint`: the name its `data.id` is kept under (before the reads, which use it)."""
        reply = self.call(method, path, caller, body)
        if expect is not None and reply.status != expect:
            raise Refused.answered(reply, f"{method} {API}{path}", expect)
        if mint is not None:
            self.keep(mint, reply)
        self.read_back(*shows)
        return reply

    def read_back(self, *kinds: str) -> None:
        for read in dict.fromkeys(read for kind in kinds for read in SHOWN_BY[kind]):
            self.call("GET", read.path, read.caller)

    def keep(self, name: str, reply: Reply, at: str = "data.id") -> None:
        """Remember the id at `at` of legacy's reply as `name`."""
        value = json_at(reply.json, at)
        if not isinstance(value, str):
            raise Refused(f"legacy's reply naming the {name} holds no `{at}`")
        self.ids[name] = value

    def log_in(self, caller: str, email: str, password: str) -> None:
        """Log `caller` in; its token is the one its later requests carry."""
        reply = self.send_raw(login_request(email, password))
        token = access_token(reply)
        if token is None:
            raise Refused.answered(reply, f"the login of {email.strip()}", 200)
        self.tokens[caller] = token

    # -- the steps --------------------------------------------------------------------------------------------

    def accounts(self) -> None:
        """The student signed up and logged in in each spelling of its e-mail; the instructor made by the admin,
        twice (P10 is idempotent)."""
        signup = "/auth/signup"
        self.write("POST", signup, None, {"email": STUDENT_SPELLINGS[0], "password": PASSWORD,
                                          "metadata": {"full_name": "Rita Roundtrip"}}, expect=201)
        self.call("POST", signup, body={"email": STUDENT_SPELLINGS[1], "password": PASSWORD})  # 409: taken
        for spelling in STUDENT_SPELLINGS:  # the last, canonical one's token is kept
            self.log_in(STUDENT, spelling, PASSWORD)
        self.read_back("student")
        instructor = self.write("POST", signup, None, {"email": INSTRUCTOR_EMAIL, "password": PASSWORD,
                                                       "metadata": {"full_name": "Ivan Roundtrip"}}, expect=201)
        self.keep("instructor_user", instructor, "data.user.id")
        self.log_in(ADMIN, *self.admin)
        for _ in range(2):
            self.write("POST", "/auth/users/{instructor_user}/roles", ADMIN, {"role": "instructor"}, expect=200)
            self.log_in(INSTRUCTOR, INSTRUCTOR_EMAIL, PASSWORD)
            self.read_back("roles")

    def course(self) -> None:
        """Created with the nullable fields absent, publishing it without a video refused; two sections (the
        first without a description, the second with a null one) and two videos (`FIRST_VIDEO` in the first
        section, `NULL_VIDEO`)."""
        self.write("POST", "/instructor/courses", INSTRUCTOR, NEW_COURSE, "course", expect=201, mint="course")
        self.write("POST", "/instructor/courses/{course}/publish", INSTRUCTOR, None, "course")  # 400: no video
        sections, videos = "/content/courses/{course}/sections", "/instructor/courses/{course}/videos"
        self.write("POST", sections, INSTRUCTOR, {"title": "Section one"}, "section", expect=201, mint="section")
        self.write("POST", sections, INSTRUCTOR, {"title": "Section two", "description": None}, "section",
                   expect=201, mint="section2")
        self.write("POST", videos, INSTRUCTOR, {**FIRST_VIDEO, "sectionId": self.ids["section"]}, "video",
                   expect=201, mint="video")
        self.write("POST", videos, INSTRUCTOR, NULL_VIDEO, "video", expect=201, mint="video2")

    def publication(self) -> None:
        """Publish, unpublish, publish: the course in and out of the public views."""
        for action in ("publish", "unpublish", "publish"):
            self.write("POST", f"/instructor/courses/{{course}}/{action}", INSTRUCTOR, None, "course", expect=200)

    def fields(self) -> None:
        """The first section's, the first video's and the course's fields written null, empty and set (on the
        published course, so the public views show them too)."""
        for body in SECTION_WRITES:
            self.write("PUT", "/content/sections/{section}", INSTRUCTOR, body, "section")
        for body in VIDEO_WRITES:
            self.write("PUT", "/instructor/videos/{video}", INSTRUCTOR, body, "video")
        restored = self.write("PUT", "/instructor/videos/{video}", INSTRUCTOR,
                              {"description": "Read back.", "sectionId": self.ids["section"],
                               "resources": [{"title": "Notes", "url": "https://cdn.example.test/notes.pdf"}],
                               "quizPoints": [QUIZ_POINT]}, "video", expect=200)
        self.keep("quiz", restored, "data.quizPoints.0.id")
        for body in COURSE_WRITES:
            self.write("PUT", "/instructor/courses/{course}", INSTRUCTOR, body, "course")

    def enrolment(self) -> None:
        """Enrol, unenrol (twice), enrol (refused with a null payment method first), enrol again (409)."""
        enrol, unenrol = "/student/courses/{course}/enroll", "/student/courses/{course}/unenroll"
        self.write("POST", enrol, STUDENT, {}, "enrolment", expect=200)
        self.write("POST", unenrol, STUDENT, None, "enrolment", expect=200)
        self.write("POST", unenrol, STUDENT, None)  # 404: no active enrolment
        self.write("POST", enrol, STUDENT, {"paymentMethod": None})  # 400: not nullable
        self.write("POST", enrol, STUDENT, {"paymentMethod": "card", "couponCode": ""}, "enrolment", expect=200)
        self.write("POST", enrol, STUDENT, {}, "enrolment")  # 409

    def progress(self) -> None:
        """Progress written and rewound, the video completed twice, the quiz point answered right and wrong."""
        video = "/student/videos/{video}"
        for body in ({"watchedSeconds": 30, "lastPosition": 30, "playbackSpeed": 1.5}, {"watchedSeconds": 0}):
            self.write("PUT", f"{video}/progress", STUDENT, body, "progress")
        for _ in range(2):
            self.write("POST", f"{video}/complete", STUDENT, None, "progress")
        for answer in (QUIZ_POINT["correctAnswer"], 0):
            self.write("POST", f"{video}/quiz/{{quiz}}/answer", STUDENT, {"answer": answer, "timeSpent": 5},
                       "progress")

    def review_and_profiles(self) -> None:
        """The review created, then updated; both profiles written (each shown where the review and the course
        name its author)."""
        for body, status in REVIEW_WRITES:
            self.write("POST", "/student/courses/{course}/review", STUDENT, body, "review", expect=status)
        for body in STUDENT_PROFILE_WRITES:
            self.write("PUT", "/user/profile", STUDENT, body, "student-profile")
        for body in INSTRUCTOR_PROFILE_WRITES:
            self.write("PUT", "/user/profile", INSTRUCTOR, body, "instructor-profile")

    def deletions(self) -> None:
        """Delete, read (404), delete again: the second video, the second section, then the course."""
        for path, shows in (("/instructor/videos/{video2}", "video"), ("/content/sections/{section2}", "section")):
            self.write("DELETE", path, INSTRUCTOR, None, shows, expect=200)
            self.write("PUT", path, INSTRUCTOR, {"title": "Gone"})  # 404
            self.write("DELETE", path, INSTRUCTOR, None)  # 404
        self.write("DELETE", "/instructor/courses/{course}", INSTRUCTOR, None, "course", "enrolment", expect=200)
        self.write("DELETE", "/instructor/courses/{course}", INSTRUCTOR, None)  # 404


#: The steps in the order they run: each builds on what the ones before it created.
STEPS: tuple[Callable[[RoundTrip], None], ...] = (
    RoundTrip.accounts, RoundTrip.course, RoundTrip.publication, RoundTrip.fields, RoundTrip.enrolment,
    RoundTrip.progress, RoundTrip.review_and_profiles, RoundTrip.deletions,
)


def run(send: Callable[[Sent], Reply], admin: tuple[str, str]) -> list[Skip]:
    """Every step through `send`; `admin`: the seeded admin's e-mail and password. Returns why the source
    stopped early (empty when it ran to the end)."""
    trip = RoundTrip(send, admin)
    try:
        for step in STEPS:
            step(trip)
    except Refused as refused:
        return [Skip("roundtrip", SkipReason.REFUSED_BY_LEGACY, f"{refused}; the steps after it did not run")]
    return []
