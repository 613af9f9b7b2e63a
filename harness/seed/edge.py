"""The edge part of the seed: the same few dozen rows on every scale, written after the regular graph.

A migration must carry rows the regular graph never makes, so every seed also holds:

- soft-deleted rows (`is_deleted`, `deleted_at`, `deleted_by_id` set) in every table with the SCHEMA.md §1
  mixin, and live children of soft-deleted parents (a deleted course with its section, video, quiz point,
  media, enrollment, review, progress, chat and recommendation; a deleted user with a revoked session);
- NULL-heavy rows: every nullable column NULL (`NULLABLE`), SQL NULL in the nullable JSON columns too;
- text at its column's VARCHAR limit and non-ASCII text (accents, CJK, emoji, combining marks, RTL);
- boundary numbers (0, a column's maximum, ratings 1 and 5, progress 0 and 100) and timestamps with
  microseconds 0 and 999999, at a year boundary and at daylight-saving changes.

Everything belongs to dedicated users (`edge.*@seed.unpuzzle.test`, the generated users' password, or none);
the live edge courses are never published and the deleted one is soft-deleted, so no public listing and no
documented account sees any of it. Keys are `seeded_uuid(seed, table, "edge:<name>")`, apart from every
regular index.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from .accounts import GENERATED_PASSWORD
from .ids import password_hash, seeded_uuid

Rows = list[dict]

#: SQL NULL for a JSON column (a bare None stores JSON null, as the apps do); the writer honours it.
SQL_NULL = sa.null()

INT_MAX = 2_147_483_647
INT_MIN = -2_147_483_648
BIGINT_MAX = 9_223_372_036_854_775_807
MONEY_MAX = Decimal("99999999.99")  # NUMERIC(10,2)

#: The last microsecond of a year and the first second of the next (microseconds 999999 and 0).
YEAR_END = datetime(2025, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
#: One microsecond before Europe springs forward (01:00 UTC), and the hour US clocks fall back (06:00 UTC).
DST_SPRING = datetime(2025, 3, 30, 0, 59, 59, 999_999, tzinfo=UTC)
DST_FALL = datetime(2025, 11, 2, 6, 0, tzinfo=UTC)
LEAP_DAY = datetime(2024, 2, 29, 12, 0, 0, 500_000, tzinfo=UTC)

#: Accents, CJK, emoji (astral and a ZWJ sequence), combining marks (decomposed é and Å), Arabic and Hebrew.
MIXED = "Zoë Ærøskøbing façade — 学习编程 🎓🚀👩🏽‍💻 e\u0301 A\u030a مرحبا بالعالم שלום "
IPV6_MAX = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"  # 45 characters, VARCHAR(45)
DOMAIN = "@seed.unpuzzle.test"


def fill(text: str, length: int) -> str:
    """`text` repeated and cut to exactly `length` characters (code points, which VARCHAR(n) counts)."""
    return (text * (length // len(text) + 1))[:length]


#: The nullable columns of each seeded table (SCHEMA.md §1 and §2), mixin columns included.
MIXIN_NULLABLE = ("updated_at", "deleted_at", "created_by_id", "updated_by_id", "deleted_by_id")
NULLABLE: dict[str, tuple[str, ...]] = {
    "users": ("username", "password_hash", "avatar_url", "last_login_at", "last_login_ip", *MIXIN_NULLABLE),
    "roles": MIXIN_NULLABLE,
    "permissions": MIXIN_NULLABLE,
    "role_permissions": (),
    "user_roles": ("assigned_by_id",),
    "user_permissions": ("granted_by_id",),
    "user_sessions": ("ip_address", "revoked_at", *MIXIN_NULLABLE),
    "user_activities": ("user_id", "session_id", "resource_type", "resource_id", "ip_address", *MIXIN_NULLABLE),
    "courses": ("thumbnail_url", "preview_video_url", "discount_price", "category", "course_structure",
                "published_at", *MIXIN_NULLABLE),
    "course_sections": MIXIN_NULLABLE,
    "videos": ("section_id", "media_file_id", "description", "video_url", "thumbnail_url", "transcript_url",
               "subtitles_url", "metadata", *MIXIN_NULLABLE),
    "quizzes": MIXIN_NULLABLE,
    "quiz_attempts": ("completed_at", *MIXIN_NULLABLE),
    "enrollments": ("completed_at", "last_accessed", "certificate_url", "payment_method", "coupon_code",
                    "payment_amount", "payment_currency", *MIXIN_NULLABLE),
    "course_progress": ("section_id", "last_video_id", *MIXIN_NULLABLE),
    "video_progress": ("completed_at", *MIXIN_NULLABLE),
    "reviews": ("title", *MIXIN_NULLABLE),
    "ai_chats": ("course_id", "video_id", *MIXIN_NULLABLE),
    "course_recommendations": ("expires_at", *MIXIN_NULLABLE),
    "media_files": ("course_id", "course_section_id", "title", "description", "order_in_section", "cdn_url",
                    "thumbnail_url", "checksum", "processing_started_at", "processing_completed_at",
                    "processing_error", "duration_seconds", "width", "height", "bitrate", "codec", "frame_rate",
                    "metadata", "last_accessed_at", *MIXIN_NULLABLE),
    "upload_sessions": ("course_id", "storage_key", "completed_at", "expires_at", "error_message", "media_file_id",
                        *MIXIN_NULLABLE),
}
#: The nullable JSON columns: NULL there is SQL NULL, not JSON null.
NULLABLE_JSON = {("courses", "course_structure"), ("videos", "metadata"), ("media_files", "metadata")}
#: The tables without the soft-delete mixin (SCHEMA.md §2.4).
ASSOCIATIONS = ("role_permissions", "user_roles", "user_permissions")


def _mixin(created: datetime, updated: datetime | None) -> dict:
    return {"created_at": created, "updated_at": updated, "is_deleted": False, "deleted_at": None,
            "created_by_id": None, "updated_by_id": None, "deleted_by_id": None, "version": 1}


def soft_deleted(row: dict, by: str, when: datetime) -> dict:
    """`row`, written and then soft-deleted by user `by` (every audit column set), deleted at `when`."""
    return {**row, "is_deleted": True, "deleted_at": when, "created_by_id": by, "updated_by_id": by,
            "deleted_by_id": by}


def null_heavy(table: str, row: dict) -> dict:
    """`row` with every nullable column of `table` NULL."""
    return {**row, **{c: SQL_NULL if (table, c) in NULLABLE_JSON else None for c in NULLABLE[table]}}


@dataclass(frozen=True, slots=True)
class Edge:
    """The keys of the edge rows of one seed number, and the rows themselves (`rows()`, in foreign-key order)."""

    seed: int
    admin_id: str

    def key(self, table: str, name: str) -> str:
        return seeded_uuid(self.seed, table, f"edge:{name}")

    def user(self, name: str) -> str:
        """`instructor`, `student`, `deleted` (soft-deleted), `null` (NULL-heavy) or `max` (longest text)."""
        return self.key("users", name)

    def course(self, name: str) -> str:
        """`deleted` (soft-deleted, was published), `max` (archived: longest text, boundary numbers) or `null`."""
        return self.key("courses", name)

    def rows(self) -> dict[str, Rows]:
        """table -> its edge rows, tables in an order that satisfies every foreign key."""
        parts = (_users(self), _access(self), _courses(self), _sections(self), _media(self), _lessons(self),
                 _learning(self), _ai(self), _activities(self))
        out: dict[str, Rows] = {}
        for part in parts:
            for table, rows in part.items():
                out.setdefault(table, []).extend(rows)
        return out


# -- users, roles, sessions ---------------------------------------------------------------------------------

def _user(e: Edge, name: str, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.user(name), "email": f"edge.{name}{DOMAIN}", "username": None,
            "password_hash": password_hash(e.seed, "generated", GENERATED_PASSWORD), "full_name": "",
            "display_name": "", "avatar_url": None, "phone": "", "bio": "", "status": "active", "email_verified": True,
            "phone_verified": False, "two_factor_enabled": False, "metadata": {}, "preferences": {},
            "last_login_at": None, "last_login_ip": None, "last_login_device": "", **values}


def _users(e: Edge) -> dict[str, Rows]:
    deleted = e.user("deleted")
    return {"users": [
        _user(e, "instructor", YEAR_START, full_name="Zoë Ørsted-Nguyễn", display_name="Zoë",
              metadata={"expertise": ["Unicode", "Edge cases"]}),
        _user(e, "student", DST_FALL, full_name="Łukasz 李 Student", display_name="Łukasz"),
        soft_deleted(_user(e, "deleted", LEAP_DAY, full_name="Gone User", status="inactive"), deleted, YEAR_END),
        null_heavy("users", _user(e, "null", YEAR_START, status="pending", email_verified=False)),
        _user(e, "max", DST_SPRING, email=fill("edge.max.", 255 - len(DOMAIN)) + DOMAIN,
              username=fill("édge_用户_", 100), password_hash=_longest_hash(), full_name=fill(MIXED, 255),
              display_name=fill(MIXED, 100),
              phone="+" + fill("٠١٢٣٤٥٦٧٨٩", 19), bio=fill(MIXED, 2000), avatar_url=f"https://cdn.unpuzzle.test/"
              f"{fill('ä', 1000)}.png", status="suspended", phone_verified=True, two_factor_enabled=True,
              metadata={"città": "東京", "emoji": "🎓", "nested": {"rtl": "שלום"}}, preferences={"theme": "dark"},
              last_login_at=YEAR_END, last_login_ip=IPV6_MAX, last_login_device=fill(MIXED, 300)),
    ]}


def _longest_hash() -> str:
    """A werkzeug-format hash at the column's 255 characters (a long salt): it matches no password."""
    prefix, digest = "pbkdf2:sha256:10000$", "0" * 64
    return f"{prefix}{fill('s4lt', 255 - len(prefix) - len(digest) - 1)}${digest}"


def _access(e: Edge) -> dict[str, Rows]:
    """A soft-deleted role and permission (granted only to the `max` user), NULL-heavy ones granted to nobody,
    role links, sessions."""
    role, permission = e.key("roles", "moderator"), e.key("permissions", "content:archive")
    deleted, null = e.user("deleted"), e.user("null")
    return {
        "roles": [
            soft_deleted({**_mixin(DST_SPRING, DST_SPRING), "id": role, "name": fill("moderator_", 50),
                          "display_name": fill(MIXED, 100), "description": MIXED, "is_active": False,
                          "priority": INT_MIN}, e.admin_id, YEAR_END),
            null_heavy("roles", {**_mixin(YEAR_START, None), "id": e.key("roles", "null"), "name": "edge_null",
                                 "display_name": "", "description": "", "is_active": False, "priority": 0}),
        ],
        "permissions": [
            soft_deleted({**_mixin(DST_SPRING, DST_SPRING), "id": permission, "name": fill("content:archive:", 100),
                          "display_name": fill(MIXED, 100), "description": MIXED, "resource": fill("content", 50),
                          "action": fill("archive", 50), "is_active": False}, e.admin_id, YEAR_END),
            null_heavy("permissions", {**_mixin(YEAR_START, None), "id": e.key("permissions", "null"),
                                       "name": "edge:null", "display_name": "", "description": "", "resource": "edge",
                                       "action": "null", "is_active": False}),
        ],
        "role_permissions": [{"id": e.key("role_permissions", "moderator"), "role_id": role,
                              "permission_id": permission, "created_at": YEAR_END}],
        "user_roles": [
            _user_role(e, "instructor", seeded_uuid(e.seed, "roles", "instructor"), YEAR_START, e.admin_id),
            _user_role(e, "student", seeded_uuid(e.seed, "roles", "student"), DST_FALL, None),
            _user_role(e, "deleted", seeded_uuid(e.seed, "roles", "student"), LEAP_DAY, None),
            _user_role(e, "max", role, YEAR_END, e.admin_id),
        ],
        "user_permissions": [
            {"id": e.key("user_permissions", "max"), "user_id": e.user("max"), "permission_id": permission,
             "granted_at": YEAR_END, "granted_by_id": None},
            {"id": e.key("user_permissions", "instructor"), "user_id": e.user("instructor"),
             "permission_id": seeded_uuid(e.seed, "permissions", "content:moderate"), "granted_at": YEAR_START,
             "granted_by_id": e.admin_id},
        ],
        "user_sessions": [
            soft_deleted(_session(e, "deleted", deleted, is_active=False, revoked_at=YEAR_END,
                                  ip_address=IPV6_MAX, user_agent=fill(MIXED, 1000),
                                  device_info={"device": "📱", "os": "Android 14"}), deleted, YEAR_END),
            null_heavy("user_sessions", _session(e, "null", null)),
        ],
    }


def _user_role(e: Edge, name: str, role: str, at: datetime, by: str | None) -> dict:
    return {"id": e.key("user_roles", name), "user_id": e.user(name), "role_id": role, "assigned_at": at,
            "assigned_by_id": by}


def _session(e: Edge, name: str, user: str, **values) -> dict:
    # Tokens are TEXT: longer than any VARCHAR limit, as real JWTs are.
    return {**_mixin(DST_SPRING, DST_SPRING), "id": e.key("user_sessions", name), "user_id": user,
            "session_token": fill("eyJhbGciOiJIUzI1NiJ9.", 600), "refresh_token": fill("eyJyZWZyZXNoIjoxfQ.", 700),
            "ip_address": "127.0.0.1", "user_agent": "", "device_info": {}, "expires_at": DST_SPRING,
            "refresh_expires_at": DST_FALL, "is_active": True, "last_activity": DST_SPRING, "revoked_at": None,
            **values}


# -- courses and their content ----------------------------------------------------------------------------

def _course(e: Edge, name: str, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.course(name), "instructor_id": e.user("instructor"),
            "title": f"Edge course {name}", "slug": f"edge-course-{name}", "description": "",
            "short_description": "", "thumbnail_url": None, "preview_video_url": None, "price": Decimal("0.00"),
            "currency": "USD", "discount_price": None, "is_free": True, "duration": 0, "difficulty": "beginner",
            "language": "en", "category": None, "tags": [], "prerequisites": [], "learning_outcomes": [],
            "target_audience": [], "course_structure": None, "enrollment_count": 0, "completion_count": 0,
            "rating": 0.0, "rating_count": 0, "status": "draft", "is_published": False, "published_at": None,
            "metadata": {}, "seo_metadata": {}, **values}


def _courses(e: Edge) -> dict[str, Rows]:
    owner = e.user("instructor")
    return {"courses": [
        soft_deleted(_course(e, "deleted", LEAP_DAY, status="published", is_published=True, published_at=LEAP_DAY,
                             price=Decimal("19.99"), is_free=False, enrollment_count=1, rating=1.0, rating_count=1,
                             version=INT_MAX, category="Programming"), owner, YEAR_END),
        _course(e, "max", DST_SPRING, updated_at=YEAR_END, title=fill(MIXED, 255),
                slug=fill("édition-学习-🎓-", 255), description=fill(MIXED, 5000), short_description=fill(MIXED, 500),
                thumbnail_url="https://cdn.unpuzzle.test/thumbnails/édition-学习.jpg",
                preview_video_url="https://cdn.unpuzzle.test/preview/🎓.mp4", price=MONEY_MAX, currency="EUR",
                discount_price=Decimal("0.00"), is_free=False, duration=INT_MAX, difficulty="advanced",
                language="zh-Hant-TW", category=fill(MIXED, 100), tags=["学习", "émoji 🎓", "עברית"],
                prerequisites=[MIXED], learning_outcomes=["e\u0301", "A\u030a"], target_audience=["👩🏽‍💻"],
                course_structure={"modules": [{"title": "مقدمة", "lessons": 0}]}, enrollment_count=1,
                completion_count=1, rating=5.0, rating_count=1, status="archived", published_at=YEAR_END,
                metadata={"ключ": "значение"}, seo_metadata={"metaTitle": fill(MIXED, 60), "metaDescription": ""}),
        null_heavy("courses", _course(e, "null", YEAR_START)),
    ]}


def _section(e: Edge, name: str, course: str, order: int, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.key("course_sections", name), "course_id": e.course(course),
            "title": f"Edge section {name}", "description": "", "order": order, "is_published": True,
            "is_preview": False, **values}


def _video(e: Edge, name: str, course: str, section: str | None, order: int, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.key("videos", name), "course_id": e.course(course),
            "section_id": e.key("course_sections", section) if section else None, "media_file_id": None,
            "title": f"Edge video {name}", "description": "", "video_url": None, "video_provider": "backblaze",
            "thumbnail_url": None, "duration_seconds": 0, "order": order, "is_preview": False,
            "is_downloadable": False, "is_published": True, "transcript_url": None, "subtitles_url": None,
            "transcript": [], "resources": [], "metadata": None, "video_quality": "720p", "has_captions": False,
            "caption_languages": [], **values}


def _quiz(e: Edge, name: str, course: str, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.key("quizzes", name), "video_id": e.key("videos", name),
            "course_id": e.course(course), "timestamp_seconds": 0, "question": f"Edge question {name}?",
            "options": ["A", "B"], "correct_answer": 0, "explanation": "", "order_index": 0, **values}


def _sections(e: Edge) -> dict[str, Rows]:
    """The deleted course's live section; the `max` course's longest one and a soft-deleted one; a NULL-heavy one."""
    owner = e.user("instructor")
    return {
        "course_sections": [
            _section(e, "deleted-course", "deleted", 1, LEAP_DAY),
            _section(e, "max", "max", INT_MAX, DST_SPRING, title=fill(MIXED, 255), description=fill(MIXED, 3000),
                     is_preview=True),
            soft_deleted(_section(e, "max-deleted", "max", 0, DST_SPRING, is_published=False), owner, YEAR_END),
            null_heavy("course_sections", _section(e, "null", "null", 0, YEAR_START)),
        ],
    }


def _lessons(e: Edge) -> dict[str, Rows]:
    """Videos and quiz points: the deleted course's live ones; the `max` course's longest values, and a
    soft-deleted pair; NULL-heavy ones."""
    owner = e.user("instructor")
    return {
        "videos": [
            _video(e, "deleted-course", "deleted", "deleted-course", 1, LEAP_DAY,
                   video_url="https://cdn.unpuzzle.test/videos/edge-deleted.mp4", duration_seconds=600),
            _video(e, "max", "max", "max", INT_MAX, DST_SPRING, media_file_id=e.key("media_files", "max"),
                   title=fill(MIXED, 255), description=fill(MIXED, 4000),
                   video_url="https://cdn.unpuzzle.test/videos/学习-🎓.mp4", video_provider=fill("backblaze-", 50),
                   thumbnail_url="https://cdn.unpuzzle.test/t/é.jpg", duration_seconds=INT_MAX, is_preview=True,
                   is_downloadable=True, transcript_url="https://cdn.unpuzzle.test/tr/ש.vtt",
                   subtitles_url="https://cdn.unpuzzle.test/sub/ع.srt",
                   transcript=[{"start": 0, "end": INT_MAX, "text": MIXED}],
                   resources=[{"title": "Ressource é", "url": "https://example.test/学"}],
                   metadata={"codec": "h265", "hdr": True}, video_quality="4k", has_captions=True,
                   caption_languages=["zh-Hant-TW", "ar", "he"]),
            soft_deleted(_video(e, "max-deleted", "max", "max-deleted", 2, DST_SPRING,
                                video_url="https://cdn.unpuzzle.test/videos/gone.mp4"), owner, YEAR_END),
            null_heavy("videos", _video(e, "null", "null", None, 0, YEAR_START)),
        ],
        "quizzes": [
            _quiz(e, "deleted-course", "deleted", LEAP_DAY, timestamp_seconds=30),
            _quiz(e, "max", "max", DST_SPRING, timestamp_seconds=INT_MAX, question=fill(MIXED, 2000),
                  options=["是", "לא", "e\u0301", "🎓"], correct_answer=3, explanation=MIXED, order_index=INT_MAX),
            soft_deleted(_quiz(e, "max-deleted", "max", DST_SPRING), owner, YEAR_END),
            null_heavy("quizzes", _quiz(e, "null", "null", YEAR_START, options=[])),
        ],
    }


def _media_file(e: Edge, name: str, created: datetime, **values) -> dict:
    owner = e.user("instructor")
    key = f"videos/{owner}/edge-{name}.mp4"
    return {**_mixin(created, created), "id": e.key("media_files", name), "user_id": owner, "course_id": None,
            "course_section_id": None, "title": None, "description": None, "order_in_section": None,
            "is_preview": False, "is_published": True, "filename": f"edge-{name}.mp4",
            "original_filename": f"edge-{name}.mp4", "file_path": key, "file_type": "video", "mime_type": "video/mp4",
            "storage_provider": "backblaze", "bucket_name": "unpuzzle-media", "storage_key": key,
            "storage_url": f"https://s3.us-west-004.backblazeb2.com/unpuzzle-media/{key}", "cdn_url": None,
            "thumbnail_url": None, "file_size": 0, "checksum": None, "processing_status": "pending",
            "upload_progress": 0.0, "processing_started_at": None, "processing_completed_at": None,
            "processing_error": None, "duration_seconds": None, "width": None, "height": None, "bitrate": None,
            "codec": None, "frame_rate": None, "metadata": None, "tags": [], "access_count": 0,
            "last_accessed_at": None, **values}


def _upload(e: Edge, name: str, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.key("upload_sessions", name),
            "session_key": seeded_uuid(e.seed, "upload_sessions", f"edge:{name}:key"), "user_id": e.user("instructor"),
            "course_id": None, "filename": f"edge-{name}.mp4", "file_size": 1, "content_type": "video/mp4",
            "storage_key": None, "bytes_uploaded": 0, "upload_progress": 0.0, "status": "pending",
            "started_at": created, "completed_at": None, "expires_at": None, "error_message": None,
            "media_file_id": None, "metadata": {}, **values}


def _media(e: Edge) -> dict[str, Rows]:
    owner = e.user("instructor")
    return {
        "media_files": [
            _media_file(e, "deleted-course", LEAP_DAY, course_id=e.course("deleted"),
                        course_section_id=e.key("course_sections", "deleted-course"), order_in_section=1,
                        processing_status="completed", upload_progress=100.0, file_size=10_485_760),
            _media_file(e, "max", DST_SPRING, title=fill(MIXED, 255), description=fill(MIXED, 1000),
                        is_preview=True, filename=fill("file_é学🎓_", 255), original_filename=fill(MIXED, 255),
                        file_type="document", mime_type=fill("application/vnd.edge+", 100),
                        storage_provider="aws_s3", bucket_name=fill("bucket-", 100), cdn_url="https://cdn.test/é",
                        thumbnail_url="https://cdn.test/学.jpg", file_size=BIGINT_MAX, checksum="f" * 64,
                        processing_status="failed", upload_progress=100.0, processing_started_at=DST_FALL,
                        processing_completed_at=YEAR_END, processing_error=fill(MIXED, 1000),
                        duration_seconds=INT_MAX, width=INT_MAX, height=INT_MAX, bitrate=INT_MAX,
                        codec=fill("h264-", 50), frame_rate=59.94, metadata={"ffprobe": {"tags": {"title": MIXED}}},
                        tags=["学习", "🎓"], access_count=INT_MAX, last_accessed_at=YEAR_START),
            soft_deleted(_media_file(e, "deleted", LEAP_DAY, processing_status="completed", upload_progress=100.0),
                         owner, YEAR_END),
            null_heavy("media_files", _media_file(e, "null", YEAR_START)),
        ],
        "upload_sessions": [
            _upload(e, "deleted-course", LEAP_DAY, course_id=e.course("deleted"), status="completed",
                    media_file_id=e.key("media_files", "deleted-course"), bytes_uploaded=10_485_760,
                    file_size=10_485_760, upload_progress=100.0, completed_at=LEAP_DAY),
            _upload(e, "max", DST_SPRING, session_key=fill("0123456789abcdef", 64), filename=fill(MIXED, 255),
                    file_size=BIGINT_MAX, content_type=fill("video/", 100), storage_key=fill("videos/é/", 2000),
                    bytes_uploaded=BIGINT_MAX, upload_progress=100.0, status="expired", completed_at=YEAR_END,
                    expires_at=YEAR_START, error_message=fill(MIXED, 500), media_file_id=e.key("media_files", "max"),
                    metadata={"tags": ["学习", "🎓"]}),
            soft_deleted(_upload(e, "deleted", LEAP_DAY, status="failed", error_message="upload aborted",
                                 media_file_id=e.key("media_files", "deleted")), owner, YEAR_END),
            null_heavy("upload_sessions", _upload(e, "null", YEAR_START)),
        ],
    }


# -- learning ---------------------------------------------------------------------------------------------------

def _learner(e: Edge, table: str, name: str, user: str, course: str, created: datetime, defaults: dict,
             values: dict) -> dict:
    """A row of a learning table: its columns' `defaults`, then the row's own `values`."""
    return {**_mixin(created, created), "id": e.key(table, name), "user_id": e.user(user),
            "course_id": e.course(course), **defaults, **values}


def _enrollment(e: Edge, name: str, user: str, course: str, created: datetime, **values) -> dict:
    defaults = {"enrolled_at": created, "completed_at": None, "status": "active", "progress_percentage": 0.0,
                "last_accessed": None, "certificate_issued": False, "certificate_url": None, "payment_method": None,
                "coupon_code": None, "payment_amount": None, "payment_currency": None}
    return _learner(e, "enrollments", name, user, course, created, defaults, values)


def _course_progress(e: Edge, name: str, user: str, course: str, created: datetime, **values) -> dict:
    defaults = {"section_id": None, "completed_videos": [], "last_video_id": None, "total_watch_time": 0,
                "completion_percentage": 0.0, "last_updated": created}
    return _learner(e, "course_progress", name, user, course, created, defaults, values)


def _video_progress(e: Edge, name: str, user: str, course: str, video: str, created: datetime, **values) -> dict:
    defaults = {"video_id": e.key("videos", video), "watch_time": 0, "last_position": 0, "completed": False,
                "completion_percentage": 0.0, "playback_speed": 1.0, "completed_at": None}
    return _learner(e, "video_progress", name, user, course, created, defaults, values)


def _review(e: Edge, name: str, user: str, course: str, created: datetime, **values) -> dict:
    defaults = {"rating": 1, "title": None, "comment": "", "pros": [], "cons": [], "is_verified_purchase": True,
                "helpful_count": 0, "reported_count": 0}
    return _learner(e, "reviews", name, user, course, created, defaults, values)


def _attempt(e: Edge, name: str, user: str, quiz: str, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.key("quiz_attempts", name), "user_id": e.user(user),
            "quiz_id": e.key("quizzes", quiz), "video_id": e.key("videos", quiz), "started_at": created,
            "completed_at": None, "answers": {}, "is_passed": False, "score": 0.0, "percentage": 0.0,
            "time_taken": 0, "attempt_number": 1, **values}


def _learning(e: Edge) -> dict[str, Rows]:
    """The edge student in the deleted course (live rows) and in the `max` course (boundary values); the
    deleted user's rows, soft-deleted; NULL-heavy rows."""
    gone = e.user("deleted")
    done = [e.key("videos", "max")]
    return {
        "enrollments": [
            _enrollment(e, "deleted-course", "student", "deleted", LEAP_DAY, payment_method="card",
                        payment_amount=Decimal("19.99"), payment_currency="USD", last_accessed=LEAP_DAY),
            _enrollment(e, "max", "student", "max", DST_SPRING, completed_at=YEAR_END, status="completed",
                        progress_percentage=100.0, last_accessed=YEAR_START, certificate_issued=True,
                        certificate_url=f"https://cdn.unpuzzle.test/certificates/{fill('é', 500)}.pdf",
                        payment_method=fill("carte-bancaire-", 50), coupon_code=fill("ÉTÉ2025-学", 50),
                        payment_amount=MONEY_MAX, payment_currency="EUR"),
            soft_deleted(_enrollment(e, "deleted-user", "deleted", "max", LEAP_DAY, status="dropped"), gone, YEAR_END),
            null_heavy("enrollments", _enrollment(e, "null", "null", "null", YEAR_START)),
        ],
        "course_progress": [
            _course_progress(e, "deleted-course", "student", "deleted", LEAP_DAY),
            _course_progress(e, "max", "student", "max", DST_SPRING, completed_videos=done, last_video_id=done[0],
                             total_watch_time=INT_MAX, completion_percentage=100.0, last_updated=YEAR_END),
            _course_progress(e, "max-section", "student", "max", DST_SPRING,
                             section_id=e.key("course_sections", "max"), completed_videos=done,
                             completion_percentage=100.0),
            soft_deleted(_course_progress(e, "deleted-user", "deleted", "max", LEAP_DAY), gone, YEAR_END),
            null_heavy("course_progress", _course_progress(e, "null", "null", "null", YEAR_START)),
        ],
        "video_progress": [
            _video_progress(e, "deleted-course", "student", "deleted", "deleted-course", LEAP_DAY, watch_time=300,
                            last_position=300, completion_percentage=50.0),
            _video_progress(e, "max", "student", "max", "max", DST_SPRING, watch_time=INT_MAX, last_position=INT_MAX,
                            completed=True, completion_percentage=100.0, playback_speed=2.0, completed_at=YEAR_END),
            _video_progress(e, "max-deleted-video", "student", "max", "max-deleted", DST_FALL, playback_speed=0.25),
            soft_deleted(_video_progress(e, "deleted-user", "deleted", "max", "max", LEAP_DAY), gone, YEAR_END),
            null_heavy("video_progress", _video_progress(e, "null", "null", "null", "null", YEAR_START)),
        ],
        "quiz_attempts": [
            _attempt(e, "deleted-course", "student", "deleted-course", LEAP_DAY, completed_at=LEAP_DAY,
                     answers={"answer": 0}, is_passed=True, score=100.0, percentage=100.0, time_taken=30),
            _attempt(e, "max", "student", "max", DST_SPRING, completed_at=YEAR_END, answers={"answer": 3},
                     is_passed=True, score=100.0, percentage=100.0, time_taken=INT_MAX, attempt_number=INT_MAX),
            soft_deleted(_attempt(e, "deleted-user", "deleted", "max", LEAP_DAY, answers={"answer": 0}), gone,
                         YEAR_END),
            null_heavy("quiz_attempts", _attempt(e, "null", "null", "null", YEAR_START)),
        ],
        "reviews": [
            null_heavy("reviews", _review(e, "deleted-course", "student", "deleted", LEAP_DAY)),
            _review(e, "max", "student", "max", DST_SPRING, rating=5, title=fill(MIXED, 255),
                    comment=fill(MIXED, 5000), pros=["清晰", "e\u0301"], cons=["مرحبا"], helpful_count=INT_MAX,
                    reported_count=INT_MAX),
            soft_deleted(_review(e, "deleted-user", "deleted", "max", LEAP_DAY, comment="Gone"), gone, YEAR_END),
        ],
    }


def _chat(e: Edge, name: str, user: str, course: str | None, created: datetime, **values) -> dict:
    return {**_mixin(created, created), "id": e.key("ai_chats", name), "user_id": e.user(user),
            "course_id": e.course(course) if course else None,
            "video_id": e.key("videos", "deleted-course" if course == "deleted" else "max") if course else None,
            "session_id": seeded_uuid(e.seed, "ai_chats:session", f"edge:{name}"), "message": f"Edge {name}?",
            "response": "", "message_type": "question", "context_data": {}, "tokens_used": 0, **values}


def _recommendation(e: Edge, name: str, user: str, course: str, created: datetime, **values) -> dict:
    defaults = {"score": 0.0, "reason": "", "source": "ai", "is_dismissed": False, "expires_at": None}
    return _learner(e, "course_recommendations", name, user, course, created, defaults, values)


def _ai(e: Edge) -> dict[str, Rows]:
    gone = e.user("deleted")
    return {
        "ai_chats": [
            _chat(e, "deleted-course", "student", "deleted", LEAP_DAY, response="Ответ"),
            _chat(e, "max", "student", "max", DST_SPRING, message=fill(MIXED, 4000), response=fill(MIXED, 8000),
                  message_type="suggestion", context_data={"videoContext": {"content": MIXED}, "intent": "解释"},
                  tokens_used=INT_MAX),
            soft_deleted(_chat(e, "deleted-user", "deleted", "max", LEAP_DAY), gone, YEAR_END),
            null_heavy("ai_chats", _chat(e, "null", "null", "null", YEAR_START)),
        ],
        "course_recommendations": [
            _recommendation(e, "deleted-course", "student", "deleted", LEAP_DAY, score=1.0, reason=MIXED,
                            expires_at=YEAR_END),
            _recommendation(e, "max", "max", "max", DST_SPRING, score=1.0, reason=fill(MIXED, 2000),
                            source=fill("edge-source-", 50), is_dismissed=True, expires_at=YEAR_START),
            soft_deleted(_recommendation(e, "deleted-user", "deleted", "max", LEAP_DAY), gone, YEAR_END),
            null_heavy("course_recommendations", _recommendation(e, "null", "null", "null", YEAR_START)),
        ],
    }


def _activities(e: Edge) -> dict[str, Rows]:
    gone = e.user("deleted")

    def activity(name: str, created: datetime, **values) -> dict:
        return {**_mixin(created, created), "id": e.key("user_activities", name), "user_id": None,
                "session_id": None, "activity_type": "login_failed", "description": "", "resource_type": None,
                "resource_id": None, "ip_address": None, "user_agent": "", "metadata": {}, **values}

    return {"user_activities": [
        soft_deleted(activity("deleted-user", YEAR_END, user_id=gone, session_id=e.key("user_sessions", "deleted"),
                              activity_type="account_deleted", resource_type="user", resource_id=gone), gone,
                     YEAR_END),
        activity("max", DST_FALL, user_id=e.user("max"), activity_type="profile_updated",
                 description=fill(MIXED, 3000), resource_type=fill("profile_", 50), resource_id=e.user("max"),
                 ip_address=IPV6_MAX, user_agent=fill(MIXED, 1000), metadata={"changed": ["bio", "città"]}),
        null_heavy("user_activities", activity("null", YEAR_START)),
    ]}


__all__ = ["ASSOCIATIONS", "Edge", "NULLABLE", "NULLABLE_JSON", "SQL_NULL", "fill"]
