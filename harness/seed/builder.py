"""The deterministic row graph of a seed run, yielded table by table in foreign-key order.

Nothing is kept in memory but small per-course aggregates and the keys of the link targets (users,
courses, sections, videos, quizzes): every key is `seeded_uuid(seed, table, n)` and every link is
computed from indexes, so `large` streams over a million rows in chunks. Text content comes from
per-table pools of factory-boy rows (`content_pool`), so the high-volume tables cost no Faker calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import accounts
from .edge import Edge
from .factories import (
    POOL_SIZE,
    ChatRow,
    CourseRow,
    QuizRow,
    ReviewRow,
    SectionRow,
    UserRow,
    VideoRow,
    content_pool,
    timestamps,
)
from .ids import at, password_hash, seeded_uuid
from .plan import Scale

ROLES = (("student", "Student", 10), ("instructor", "Instructor", 20), ("admin", "Administrator", 30))
PERMISSIONS = (
    "course:create",
    "course:edit",
    "course:delete",
    "course:publish",
    "course:enroll",
    "user:view",
    "user:manage",
    "user:manage_roles",
    "content:moderate",
)
ROLE_GRANTS = {
    "student": ("course:enroll",),
    "instructor": ("course:create", "course:edit", "course:publish"),
    "admin": PERMISSIONS,
}

Rows = list[dict]


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


@dataclass(slots=True)
class Graph:
    """Index arithmetic shared by every table's generator."""

    scale: Scale
    seed: int
    chunk: int = 5_000
    n_instructors: int = field(init=False)
    n_students: int = field(init=False)
    n_courses: int = field(init=False)
    enrollments: list[tuple[int, int]] = field(init=False)  # (student index, course index)
    # Keys that rows link to, computed once: a seeded_uuid per link would dominate the build.
    _keys: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s = self.scale
        self.n_instructors = len(accounts.INSTRUCTORS) + s.generated_instructors
        self.n_students = len(accounts.STUDENTS) + s.generated_students
        self.n_courses = self.n_instructors * s.courses_per_instructor
        self.enrollments = self._plan_enrollments()
        n_videos = self.n_courses * self.videos_per_course()
        self._keys = {
            table: [seeded_uuid(self.seed, table, n) for n in range(count)]
            for table, count in (
                ("users", self.n_users),
                ("courses", self.n_courses),
                ("course_sections", self.n_courses * s.sections_per_course),
                ("videos", n_videos),
                ("quizzes", n_videos),
            )
        }

    def key(self, table: str, n: int) -> str:
        """The id of row `n` of a link-target table: the same as seeded_uuid(seed, table, n)."""
        return self._keys[table][n]

    @property
    def edge(self) -> Edge:
        """The edge rows written after the regular ones (soft-deleted, NULL-heavy, longest, boundary values)."""
        return Edge(self.seed, self.user_id(0))

    # -- users: admin, instructors, students, in that order -------------------------------
    @property
    def n_users(self) -> int:
        return 1 + self.n_instructors + self.n_students

    def user_id(self, u: int) -> str:
        return self._keys["users"][u]

    def instructor_user(self, i: int) -> int:
        return 1 + i

    def student_user(self, s: int) -> int:
        return 1 + self.n_instructors + s

    # -- courses ------------------------------------------------------------------------------
    def course_id(self, c: int) -> str:
        return self._keys["courses"][c]

    def course_owner(self, c: int) -> int:
        return c // self.scale.courses_per_instructor

    def is_published(self, c: int) -> bool:
        return c % self.scale.courses_per_instructor != self.scale.courses_per_instructor - 1

    @property
    def published(self) -> list[int]:
        return [c for c in range(self.n_courses) if self.is_published(c)]

    def videos_per_course(self) -> int:
        return self.scale.sections_per_course * self.scale.videos_per_section

    def video_index(self, c: int, k: int) -> int:
        return c * self.videos_per_course() + k

    def _plan_enrollments(self) -> list[tuple[int, int]]:
        pub = self.published
        per = self.scale.enrollments_per_student
        first_of = [c for c in pub if c % self.scale.courses_per_instructor == 0]
        plan: list[tuple[int, int]] = []
        # The documented student is enrolled in the first instructor's first course only; the
        # second documented student in each instructor's first course.
        plan.append((0, first_of[0]))
        plan.extend((1, c) for c in first_of)
        for s in range(len(accounts.STUDENTS), self.n_students):
            chosen: list[int] = []
            k = 0
            while len(chosen) < min(per, len(pub)):
                c = pub[_h(self.seed, "enroll", s, k) % len(pub)]
                if c not in chosen:
                    chosen.append(c)
                k += 1
            plan.extend((s, c) for c in chosen)
        return plan

    def review_rating(self, s: int, c: int) -> int | None:
        """1–5 for a reviewed enrollment, None when the student left no review."""
        if s < len(accounts.STUDENTS):
            return None  # documented students start without reviews
        h = _h(self.seed, "review", s, c)
        return None if h % 3 == 0 else (5, 4, 5, 3, 4, 2, 5, 1)[h % 8]

    @property
    def watched_per_enrollment(self) -> int:
        return min(self.scale.watched_videos_per_enrollment, self.videos_per_course())

    def recommended(self) -> list[tuple[int, list[int]]]:
        """(student, up to 3 published courses they are not enrolled in) for the first 50 students."""
        enrolled: dict[int, set[int]] = {}
        for s, c in self.enrollments:
            enrolled.setdefault(s, set()).add(c)
        pub = self.published
        return [(s, [c for c in pub if c not in enrolled.get(s, set())][:3]) for s in range(min(self.n_students, 50))]

    def row_counts(self) -> dict[str, int]:
        """How many rows build() yields per table, without building the regular ones (a progress bar's total)."""
        counts = self._regular_counts()
        for table, rows in self.edge.rows().items():
            counts[table] = counts.get(table, 0) + len(rows)
        return counts

    def _regular_counts(self) -> dict[str, int]:
        s = self.scale
        n_videos = self.n_courses * self.videos_per_course()
        n_media = self.n_instructors * s.media_per_instructor
        generated = sum(1 for st, _c in self.enrollments if st >= len(accounts.STUDENTS))
        return {
            "roles": len(ROLES),
            "permissions": len(PERMISSIONS),
            "role_permissions": sum(map(len, ROLE_GRANTS.values())),
            "users": self.n_users,
            "user_roles": self.n_users,
            "courses": self.n_courses,
            "course_sections": self.n_courses * s.sections_per_course,
            "videos": n_videos,
            "quizzes": n_videos,
            "media_files": n_media,
            "upload_sessions": n_media,
            "enrollments": len(self.enrollments),
            "course_progress": len(self.enrollments),
            "video_progress": generated * self.watched_per_enrollment,
            "quiz_attempts": generated,
            "reviews": sum(1 for st, c in self.enrollments if self.review_rating(st, c) is not None),
            "ai_chats": 2,
            "course_recommendations": sum(len(cs) for _s, cs in self.recommended()),
            "user_activities": self.n_users * s.activities_per_user,
        }


def build(scale: Scale, seed: int, chunk: int = 5_000) -> Iterator[tuple[str, Rows]]:
    """Yield (table, rows) chunks in an order that satisfies every foreign key."""
    g = Graph(scale, seed, chunk)
    yield from _rbac(g)
    yield from _users(g)
    yield from _user_links(g)
    yield from _courses(g)
    yield from _content(g)
    yield from _media(g)
    yield from _learning(g)
    yield from _ai(g)
    yield from _activities(g)
    yield from g.edge.rows().items()


def _chunked(g: Graph, table: str, rows: Iterator[dict]) -> Iterator[tuple[str, Rows]]:
    batch: Rows = []
    for row in rows:
        batch.append(row)
        if len(batch) >= g.chunk:
            yield table, batch
            batch = []
    if batch:
        yield table, batch


def _pool(g: Graph, row_factory, table: str, rows: int) -> list[dict]:
    return content_pool(row_factory, g.seed, table, max(1, min(rows, POOL_SIZE)))


def _mixin(minutes: float, **extra) -> dict:
    return {
        "is_deleted": False,
        "deleted_at": None,
        "created_by_id": None,
        "updated_by_id": None,
        "deleted_by_id": None,
        "version": 1,
        **timestamps(minutes),
        **extra,
    }


def _rbac(g: Graph) -> Iterator[tuple[str, Rows]]:
    s = g.seed
    yield (
        "roles",
        [
            _mixin(
                0,
                id=seeded_uuid(s, "roles", name),
                name=name,
                display_name=display,
                description=f"{display} role",
                is_active=True,
                priority=prio,
            )
            for name, display, prio in ROLES
        ],
    )
    yield (
        "permissions",
        [
            _mixin(
                0,
                id=seeded_uuid(s, "permissions", p),
                name=p,
                display_name=p.replace(":", " ").title(),
                description="",
                resource=p.split(":")[0],
                action=p.split(":")[1],
                is_active=True,
            )
            for p in PERMISSIONS
        ],
    )
    yield (
        "role_permissions",
        [
            {
                "id": seeded_uuid(s, "role_permissions", f"{r}:{p}"),
                "role_id": seeded_uuid(s, "roles", r),
                "permission_id": seeded_uuid(s, "permissions", p),
                "created_at": at(0),
            }
            for r, grants in ROLE_GRANTS.items()
            for p in grants
        ],
    )


def _users(g: Graph) -> Iterator[tuple[str, Rows]]:
    shared_hash_key = "generated"  # generated users share one hash per seed: same password, same salt
    pool = _pool(g, UserRow, "users", g.n_users)

    def user_row(u: int, email: str, password: str, salt_key: str, **overrides) -> dict:
        return {
            **pool[u % len(pool)],
            "id": g.user_id(u),
            "email": email,
            "password_hash": password_hash(g.seed, salt_key, password),
            **timestamps(u * 0.5 + 1),
            **overrides,
        }

    def rows() -> Iterator[dict]:
        yield user_row(
            0,
            accounts.ADMIN.email,
            accounts.ADMIN.password,
            accounts.ADMIN.email,
            full_name=accounts.ADMIN.full_name,
            display_name="Ada",
        )
        for i in range(g.n_instructors):
            if i < len(accounts.INSTRUCTORS):
                a = accounts.INSTRUCTORS[i]
                yield user_row(
                    g.instructor_user(i),
                    a.email,
                    a.password,
                    a.email,
                    full_name=a.full_name,
                    display_name=a.full_name.split()[0],
                    metadata={"expertise": ["Python", "Web Development"]},
                )
            else:
                yield user_row(
                    g.instructor_user(i),
                    f"instructor{i + 1}@seed.unpuzzle.test",
                    accounts.GENERATED_PASSWORD,
                    shared_hash_key,
                    metadata={"expertise": ["Programming"]},
                )
        for s in range(g.n_students):
            if s < len(accounts.STUDENTS):
                a = accounts.STUDENTS[s]
                yield user_row(
                    g.student_user(s),
                    a.email,
                    a.password,
                    a.email,
                    full_name=a.full_name,
                    display_name=a.full_name.split()[0],
                )
            else:
                yield user_row(
                    g.student_user(s),
                    f"student{s + 1}@seed.unpuzzle.test",
                    accounts.GENERATED_PASSWORD,
                    shared_hash_key,
                )

    yield from _chunked(g, "users", rows())


def _user_links(g: Graph) -> Iterator[tuple[str, Rows]]:
    def rows() -> Iterator[dict]:
        def link(u: int, role: str) -> dict:
            return {
                "id": seeded_uuid(g.seed, "user_roles", f"{u}:{role}"),
                "user_id": g.user_id(u),
                "role_id": seeded_uuid(g.seed, "roles", role),
                "assigned_at": at(u * 0.5 + 1),
                "assigned_by_id": None,
            }

        yield link(0, "admin")
        for i in range(g.n_instructors):
            yield link(g.instructor_user(i), "instructor")
        for s in range(g.n_students):
            yield link(g.student_user(s), "student")

    yield from _chunked(g, "user_roles", rows())


def _course_aggregates(g: Graph) -> tuple[list[int], list[int], list[int]]:
    enrolled = [0] * g.n_courses
    rating_sum = [0] * g.n_courses
    rating_n = [0] * g.n_courses
    for s, c in g.enrollments:
        enrolled[c] += 1
        r = g.review_rating(s, c)
        if r is not None:
            rating_sum[c] += r
            rating_n[c] += 1
    return enrolled, rating_sum, rating_n


def _courses(g: Graph) -> Iterator[tuple[str, Rows]]:
    enrolled, rating_sum, rating_n = _course_aggregates(g)
    pool = content_pool(CourseRow, g.seed, "courses", g.n_courses)  # every course gets its own title

    def rows() -> Iterator[dict]:
        for c in range(g.n_courses):
            pub = g.is_published(c)
            created = 60 + c * 7
            row = {
                **pool[c],
                "id": g.course_id(c),
                "instructor_id": g.user_id(g.instructor_user(g.course_owner(c))),
                "status": "published" if pub else "draft",
                "is_published": pub,
                "published_at": at(created + 30) if pub else None,
                "enrollment_count": enrolled[c],
                "rating_count": rating_n[c],
                "rating": round(rating_sum[c] / rating_n[c], 2) if rating_n[c] else 0.0,
                **timestamps(created),
            }
            row["slug"] = f"{_slug(row['title'])}-{c + 1}"
            yield row

    yield from _chunked(g, "courses", rows())


def _slug(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-").replace("--", "-")


def _content(g: Graph) -> Iterator[tuple[str, Rows]]:
    sc = g.scale

    n_sections = g.n_courses * sc.sections_per_course
    n_videos = g.n_courses * g.videos_per_course()

    def sections() -> Iterator[dict]:
        pool = _pool(g, SectionRow, "course_sections", n_sections)
        for c in range(g.n_courses):
            for k in range(sc.sections_per_course):
                n = c * sc.sections_per_course + k
                yield {
                    **pool[n % len(pool)],
                    "id": g.key("course_sections", n),
                    "course_id": g.course_id(c),
                    "order": k + 1,
                    **timestamps(61 + c * 7 + k * 0.1),
                }

    def videos() -> Iterator[dict]:
        pool = _pool(g, VideoRow, "videos", n_videos)
        for c in range(g.n_courses):
            for k in range(g.videos_per_course()):
                n = g.video_index(c, k)
                section_n = c * sc.sections_per_course + k // sc.videos_per_section
                vid = g.key("videos", n)
                yield {
                    **pool[n % len(pool)],
                    "id": vid,
                    "course_id": g.course_id(c),
                    "section_id": g.key("course_sections", section_n),
                    "media_file_id": None,
                    "video_url": f"https://cdn.unpuzzle.test/videos/{vid}.mp4",
                    "order": k + 1,
                    "is_preview": k == 0,
                    **timestamps(62 + c * 7 + k * 0.1),
                }

    def quizzes() -> Iterator[dict]:
        pool = _pool(g, QuizRow, "quizzes", n_videos)
        for c in range(g.n_courses):
            for k in range(g.videos_per_course()):
                n = g.video_index(c, k)
                yield {
                    **pool[n % len(pool)],
                    "id": g.key("quizzes", n),
                    "video_id": g.key("videos", n),
                    "course_id": g.course_id(c),
                    "timestamp_seconds": 60,
                    **timestamps(63 + c * 7 + k * 0.1),
                }

    yield from _chunked(g, "course_sections", sections())
    yield from _chunked(g, "videos", videos())
    yield from _chunked(g, "quizzes", quizzes())


def _media(g: Graph) -> Iterator[tuple[str, Rows]]:
    sc = g.scale

    def rows() -> Iterator[dict]:
        for i in range(g.n_instructors):
            owner = g.user_id(g.instructor_user(i))
            first_course = i * sc.courses_per_instructor
            for m in range(sc.media_per_instructor):
                n = i * sc.media_per_instructor + m
                mid = seeded_uuid(g.seed, "media_files", n)
                session_key = seeded_uuid(g.seed, "upload_sessions", n)
                name = f"lesson-{m + 1}.mp4"
                key = f"videos/{owner}/{session_key}_{name}"
                assigned = m == 0  # the first file sits in the first section of the first course
                yield _mixin(
                    70 + n,
                    id=mid,
                    user_id=owner,
                    course_id=g.course_id(first_course) if assigned else None,
                    course_section_id=(
                        g.key("course_sections", first_course * sc.sections_per_course) if assigned else None
                    ),
                    title=None,
                    description=None,
                    order_in_section=1 if assigned else None,
                    is_preview=False,
                    is_published=True,
                    filename=f"{session_key}_{name}",
                    original_filename=name,
                    file_path=key,
                    file_type="video",
                    mime_type="video/mp4",
                    storage_provider="backblaze",
                    bucket_name="unpuzzle-media",
                    storage_key=key,
                    storage_url=f"https://s3.us-west-004.backblazeb2.com/unpuzzle-media/{key}",
                    cdn_url=f"https://cdn.unpuzzle.test/{key}",
                    thumbnail_url=None,
                    file_size=10_485_760 * (m + 1),
                    checksum=None,
                    processing_status="completed",
                    upload_progress=100.0,
                    processing_started_at=at(70 + n),
                    processing_completed_at=at(71 + n),
                    processing_error=None,
                    duration_seconds=300 * (m + 1),
                    width=1920,
                    height=1080,
                    bitrate=4_000_000,
                    codec="h264",
                    frame_rate=30.0,
                    metadata=None,
                    tags=["lesson"],
                    access_count=0,
                    last_accessed_at=None,
                )

    def sessions() -> Iterator[dict]:
        for i in range(g.n_instructors):
            owner = g.user_id(g.instructor_user(i))
            for m in range(sc.media_per_instructor):
                n = i * sc.media_per_instructor + m
                session_key = seeded_uuid(g.seed, "upload_sessions", n)
                name = f"lesson-{m + 1}.mp4"
                yield _mixin(
                    70 + n,
                    id=seeded_uuid(g.seed, "upload_sessions:id", n),
                    session_key=session_key,
                    user_id=owner,
                    course_id=None,
                    filename=name,
                    file_size=10_485_760 * (m + 1),
                    content_type="video/mp4",
                    storage_key=f"videos/{owner}/{session_key}_{name}",
                    bytes_uploaded=10_485_760 * (m + 1),
                    upload_progress=100.0,
                    status="completed",
                    started_at=at(70 + n),
                    completed_at=at(71 + n),
                    expires_at=at(130 + n),
                    error_message=None,
                    media_file_id=seeded_uuid(g.seed, "media_files", n),
                    metadata={"tags": ["lesson"]},
                )

    yield from _chunked(g, "media_files", rows())
    yield from _chunked(g, "upload_sessions", sessions())


def _learning(g: Graph) -> Iterator[tuple[str, Rows]]:
    watched = g.watched_per_enrollment
    total = g.videos_per_course()

    def enrollments() -> Iterator[dict]:
        for e, (s, c) in enumerate(g.enrollments):
            pct = round(100.0 * watched / total, 2) if s >= len(accounts.STUDENTS) else 0.0
            yield _mixin(
                200 + e * 0.01,
                id=seeded_uuid(g.seed, "enrollments", e),
                user_id=g.user_id(g.student_user(s)),
                course_id=g.course_id(c),
                enrolled_at=at(200 + e * 0.01),
                completed_at=None,
                status="active",
                progress_percentage=pct,
                last_accessed=at(210 + e * 0.01),
                certificate_issued=False,
                certificate_url=None,
                payment_method=None,
                coupon_code=None,
                payment_amount=None,
                payment_currency=None,
            )

    def course_progress() -> Iterator[dict]:
        for e, (s, c) in enumerate(g.enrollments):
            done = [g.key("videos", g.video_index(c, k)) for k in range(watched)] if s >= len(accounts.STUDENTS) else []
            yield _mixin(
                200 + e * 0.01,
                id=seeded_uuid(g.seed, "course_progress", e),
                user_id=g.user_id(g.student_user(s)),
                course_id=g.course_id(c),
                section_id=None,
                completed_videos=done,
                last_video_id=done[-1] if done else None,
                total_watch_time=300 * len(done),
                completion_percentage=round(100.0 * len(done) / total, 2),
                last_updated=at(210 + e * 0.01),
            )

    def video_progress() -> Iterator[dict]:
        for e, (s, c) in enumerate(g.enrollments):
            if s < len(accounts.STUDENTS):
                continue  # documented students start with no watch history
            for k in range(watched):
                n = e * watched + k
                yield _mixin(
                    205 + e * 0.01,
                    id=seeded_uuid(g.seed, "video_progress", n),
                    user_id=g.user_id(g.student_user(s)),
                    video_id=g.key("videos", g.video_index(c, k)),
                    course_id=g.course_id(c),
                    watch_time=300,
                    last_position=300,
                    completed=True,
                    completion_percentage=100.0,
                    playback_speed=1.0,
                    completed_at=at(206 + e * 0.01),
                )

    def quiz_attempts() -> Iterator[dict]:
        for e, (s, c) in enumerate(g.enrollments):
            if s < len(accounts.STUDENTS):
                continue
            n = g.video_index(c, 0)
            passed = _h(g.seed, "quiz", e) % 2 == 0
            yield _mixin(
                207 + e * 0.01,
                id=seeded_uuid(g.seed, "quiz_attempts", e),
                user_id=g.user_id(g.student_user(s)),
                quiz_id=g.key("quizzes", n),
                video_id=g.key("videos", n),
                started_at=at(207 + e * 0.01),
                completed_at=at(207 + e * 0.01),
                answers={"answer": 0},
                is_passed=passed,
                score=100.0 if passed else 0.0,
                percentage=100.0 if passed else 0.0,
                time_taken=30,
                attempt_number=1,
            )

    def reviews() -> Iterator[dict]:
        pool = _pool(g, ReviewRow, "reviews", len(g.enrollments))
        for e, (s, c) in enumerate(g.enrollments):
            rating = g.review_rating(s, c)
            if rating is None:
                continue
            yield {
                **pool[e % len(pool)],
                "id": seeded_uuid(g.seed, "reviews", e),
                "user_id": g.user_id(g.student_user(s)),
                "course_id": g.course_id(c),
                "rating": rating,
                **timestamps(220 + e * 0.01),
            }

    yield from _chunked(g, "enrollments", enrollments())
    yield from _chunked(g, "course_progress", course_progress())
    yield from _chunked(g, "video_progress", video_progress())
    yield from _chunked(g, "quiz_attempts", quiz_attempts())
    yield from _chunked(g, "reviews", reviews())


def _ai(g: Graph) -> Iterator[tuple[str, Rows]]:
    def chats() -> Iterator[dict]:
        student = g.user_id(g.student_user(0))
        course = g.enrollments[0][1]
        session = seeded_uuid(g.seed, "ai_chats:session", 0)
        pool = _pool(g, ChatRow, "ai_chats", 2)
        for k in range(2):
            yield {
                **pool[k],
                "id": seeded_uuid(g.seed, "ai_chats", k),
                "user_id": student,
                "course_id": g.course_id(course),
                "video_id": g.key("videos", g.video_index(course, 0)),
                "session_id": session,
                "context_data": {"videoContext": {"startTime": 10 * k, "endTime": 10 * k + 30, "content": "Intro"}},
                **timestamps(300 + k),
            }

    def recommendations() -> Iterator[dict]:
        for s, candidates in g.recommended():
            for k, c in enumerate(candidates):
                yield _mixin(
                    310 + s,
                    id=seeded_uuid(g.seed, "course_recommendations", f"{s}:{c}"),
                    user_id=g.user_id(g.student_user(s)),
                    course_id=g.course_id(c),
                    score=round(0.9 - 0.1 * k, 2),
                    reason="Matches courses you are taking",
                    source="ai",
                    is_dismissed=False,
                    expires_at=None,
                )

    yield from _chunked(g, "ai_chats", chats())
    yield from _chunked(g, "course_recommendations", recommendations())


def _activities(g: Graph) -> Iterator[tuple[str, Rows]]:
    def rows() -> Iterator[dict]:
        n = 0
        for u in range(g.n_users):
            for _ in range(g.scale.activities_per_user):
                yield _mixin(
                    400 + n * 0.01,
                    id=seeded_uuid(g.seed, "user_activities", n),
                    user_id=g.user_id(u),
                    session_id=None,
                    activity_type="login_success",
                    description="Seeded login",
                    resource_type=None,
                    resource_id=None,
                    ip_address="127.0.0.1",
                    user_agent="seed",
                    metadata={},
                )
                n += 1

    yield from _chunked(g, "user_activities", rows())


__all__ = ["Graph", "build"]
