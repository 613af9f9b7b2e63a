"""Student enrollment and reviews, P20–P22 and P28 (API.md §3.4): enrolling and leaving, reviewing, the
public course pages that follow both, the Socket.IO events they emit (§4.2), and the query budget of every
student route. Progress, completion and quizzes (P23–P27): test_student_progress.py."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from harness.seed import accounts
from legacy_flask.models import Enrollment, Review
from tests.api.student_helpers import STUDENT, UNKNOWN_IDS, count, course, enrollment, fresh, my_rows
from tests.conftest import REVIEW_KEYS, data, error

# --- P20 --------------------------------------------------------------------------------------------

def test_my_courses_lists_active_and_completed_enrollments_with_progress(student, anon, db, seeded):
    resp = student.get(f"{STUDENT}/courses")
    d = data(resp)
    assert d["pagination"] == {"page": 1, "limit": 20, "total": 1, "pages": 1}
    assert resp.headers["X-Total-Count"] == "1"
    [item] = d["courses"]
    catalog_entry = next(c for c in data(anon.get("/api/v1/courses"))["courses"] if c["id"] == seeded.enrolled_course)
    assert set(item) == set(catalog_entry) | {"enrollment", "progress"}
    e = enrollment(db, seeded.user_id(accounts.STUDENT), seeded.enrolled_course)
    assert item["enrollment"] == {"id": e.id, "status": "active", "enrolledAt": item["enrollment"]["enrolledAt"]}
    assert item["progress"] == {"videosCompleted": 0, "totalVideos": len(seeded.video_ids(0)), "percentComplete": 0.0,
                                "lastAccessedAt": item["progress"]["lastAccessedAt"]}
    assert item["progress"]["lastAccessedAt"].endswith("Z")


def test_my_courses_reflects_completion_and_hides_dropped_enrollments(student, db, seeded):
    first = seeded.video_ids(0)[0]
    data(student.post(f"{STUDENT}/videos/{first}/complete"))
    data(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll", json={}))
    d = data(student.get(f"{STUDENT}/courses?limit=1"))
    assert d["pagination"] == {"page": 1, "limit": 1, "total": 2, "pages": 2}
    assert d["courses"][0]["id"] == seeded.open_course  # newest enrollment first
    older = data(student.get(f"{STUDENT}/courses?limit=1&page=2"))["courses"][0]
    assert older["progress"]["videosCompleted"] == 1
    assert older["progress"]["percentComplete"] == pytest.approx(100 / len(seeded.video_ids(0)), abs=0.01)
    data(student.post(f"{STUDENT}/courses/{seeded.open_course}/unenroll"))
    assert [c["id"] for c in data(student.get(f"{STUDENT}/courses"))["courses"]] == [seeded.enrolled_course]


def test_my_courses_requires_a_token_and_valid_paging(anon, student):
    error(anon.get(f"{STUDENT}/courses"), 401, "AUTH_REQUIRED")
    error(student.get(f"{STUDENT}/courses?limit=zero"), 400, "INVALID_REQUEST")


# --- P21 / P22 ----------------------------------------------------------------------------------------

def test_enroll_creates_an_active_enrollment_counts_it_and_notifies_the_course(student, db, seeded, emitted):
    before = course(db, seeded.open_course).enrollment_count
    d = data(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll",
                          json={"paymentMethod": "credit_card", "couponCode": "DISCOUNT20"}))
    assert set(d) == {"enrollmentId", "courseId", "status", "enrolledAt", "message"}
    assert (d["courseId"], d["status"]) == (seeded.open_course, "active")
    e = enrollment(db, seeded.user_id(accounts.STUDENT), seeded.open_course)
    assert (e.id, e.status, e.payment_method, e.coupon_code) == (
        d["enrollmentId"], "active", "credit_card", "DISCOUNT20")
    assert course(db, seeded.open_course).enrollment_count == before + 1
    assert emitted == [("new_enrollment",
                        {"user_id": seeded.user_id(accounts.STUDENT), "user_email": accounts.STUDENT.email,
                         "message": f"{accounts.STUDENT.email} enrolled in the course"},
                        (f"course_{seeded.open_course}", f"instructor_{seeded.open_course}"))]


def test_enrolling_twice_is_409_and_counts_once(student, db, seeded, emitted):
    before = course(db, seeded.enrolled_course).enrollment_count
    error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/enroll", json={}), 409, "ALREADY_ENROLLED")
    assert course(db, seeded.enrolled_course).enrollment_count == before and emitted == []


def test_unenroll_drops_the_enrollment_and_reenrolling_reactivates_it(student, db, seeded):
    uid, cid = seeded.user_id(accounts.STUDENT), seeded.enrolled_course
    original = enrollment(db, uid, cid).id
    before = course(db, cid).enrollment_count
    d = data(student.post(f"{STUDENT}/courses/{cid}/unenroll"))
    assert d == {"courseId": cid, "status": "dropped", "message": d["message"]}
    assert enrollment(db, uid, cid).status == "dropped"
    assert course(db, cid).enrollment_count == before - 1
    error(student.get(f"{STUDENT}/courses/{cid}/progress"), 403, "NOT_ENROLLED")
    error(student.post(f"{STUDENT}/courses/{cid}/unenroll"), 404, "NOT_FOUND")
    again = data(student.post(f"{STUDENT}/courses/{cid}/enroll", json={}))
    assert again["enrollmentId"] == original
    assert (enrollment(db, uid, cid).status, course(db, cid).enrollment_count) == ("active", before)
    assert count(db, Enrollment, Enrollment.user_id == uid, Enrollment.course_id == cid) == 1


def test_unenroll_without_an_enrollment_is_404(student, db, seeded):
    before = course(db, seeded.open_course).enrollment_count
    error(student.post(f"{STUDENT}/courses/{seeded.open_course}/unenroll"), 404, "NOT_FOUND")
    assert course(db, seeded.open_course).enrollment_count == before


def test_enrollment_routes_404_on_unknown_courses(student):
    for action in ("enroll", "unenroll"):
        for course_id in UNKNOWN_IDS:
            error(student.post(f"{STUDENT}/courses/{course_id}/{action}", json={}), 404, "NOT_FOUND")


def test_enrolling_in_an_unpublished_course_is_404(student, db, seeded):
    error(student.post(f"{STUDENT}/courses/{seeded.draft_course}/enroll", json={}), 404, "NOT_FOUND")
    assert enrollment(db, seeded.user_id(accounts.STUDENT), seeded.draft_course) is None


def test_enroll_rejects_bad_fields_without_enrolling(student, db, seeded, emitted):
    for body in ({"paymentMethod": 5}, {"couponCode": ["x"]}, {"couponCode": "x" * 51}):
        error(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll", json=body), 400, "INVALID_REQUEST")
    error(student.post(f"{STUDENT}/courses/{seeded.open_course}/enroll", data="{", content_type="application/json"),
          400, "INVALID_REQUEST")
    assert enrollment(db, seeded.user_id(accounts.STUDENT), seeded.open_course) is None and emitted == []


def test_enrollment_writes_need_auth_and_csrf(anon, student, db, seeded):
    for action, cid in (("enroll", seeded.open_course), ("unenroll", seeded.enrolled_course)):
        before = enrollment(db, seeded.user_id(accounts.STUDENT), cid)
        state = before.status if before else None
        error(anon.post(f"{STUDENT}/courses/{cid}/{action}", json={}), 401, "AUTH_REQUIRED")
        error(student.post(f"{STUDENT}/courses/{cid}/{action}", json={}, csrf=False), 403, "CSRF_INVALID")
        after = enrollment(db, seeded.user_id(accounts.STUDENT), cid)
        assert (after.status if after else None) == state, action


# --- P28 ----------------------------------------------------------------------------------------------

def _rating_of(db, course_id: str) -> tuple[float, int]:
    ratings = fresh(db).scalars(sa.select(Review.rating).where(Review.course_id == course_id,
                                                               Review.is_deleted.is_(False))).all()
    return (round(sum(ratings) / len(ratings), 2) if ratings else 0.0), len(ratings)


def test_review_is_created_then_updated_and_recomputes_the_course_rating(student, db, seeded, emitted):
    cid, path = seeded.enrolled_course, f"{STUDENT}/courses/{seeded.enrolled_course}/review"
    body = {"rating": 5, "title": "Excellent Course!", "comment": "Very clear.", "pros": ["Clear"], "cons": ["Short"]}
    created = data(student.post(path, json=body), 201)
    assert set(created) == REVIEW_KEYS
    assert {k: created[k] for k in body} == body
    assert (created["userId"], created["courseId"], created["userName"], created["verified"], created["helpful"]) == (
        seeded.user_id(accounts.STUDENT), cid, "Sam Student", True, 0)
    c = course(db, cid)
    assert (c.rating, c.rating_count) == _rating_of(db, cid) and c.rating_count >= 1
    assert emitted == [("new_review", {"user_email": accounts.STUDENT.email, "rating": 5, "comment": "Very clear."},
                        (f"course_{cid}",))]

    updated = data(student.post(path, json={"rating": 1}), 200)
    assert updated["id"] == created["id"] and updated["rating"] == 1
    assert (updated["title"], updated["comment"], updated["pros"]) == ("Excellent Course!", "Very clear.", ["Clear"])
    c = course(db, cid)
    assert (c.rating, c.rating_count) == _rating_of(db, cid)
    assert count(db, Review, Review.course_id == cid, Review.user_id == seeded.user_id(accounts.STUDENT)) == 1
    reviews = data(student.get(f"/api/v1/courses/{cid}/reviews"))["reviews"]
    assert next(r for r in reviews if r["id"] == created["id"])["rating"] == 1


BAD_REVIEWS = [
    ({}, "rating"), ({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": "5"}, "rating"),
    ({"rating": 4, "title": "t" * 256}, "title"), ({"rating": 4, "comment": 3}, "comment"),
    ({"rating": 4, "pros": "good"}, "pros"), ({"rating": 4, "cons": [1]}, "cons"),
]


def test_review_rejects_bad_input_without_writing(student, db, seeded, emitted):
    before = (course(db, seeded.enrolled_course).rating, course(db, seeded.enrolled_course).rating_count)
    for body, field in BAD_REVIEWS:
        err = error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/review", json=body), 400,
                    "INVALID_REQUEST")
        assert err["details"]["field"] == field, body
    assert my_rows(db, seeded, Review) == 0 and emitted == []
    assert (course(db, seeded.enrolled_course).rating, course(db, seeded.enrolled_course).rating_count) == before


def test_review_guards(anon, student, db, seeded):
    error(anon.post(f"{STUDENT}/courses/{seeded.enrolled_course}/review", json={"rating": 5}), 401, "AUTH_REQUIRED")
    error(student.post(f"{STUDENT}/courses/{seeded.enrolled_course}/review", json={"rating": 5}, csrf=False),
          403, "CSRF_INVALID")
    error(student.post(f"{STUDENT}/courses/{seeded.open_course}/review", json={"rating": 5}), 403, "NOT_ENROLLED")
    for cid in UNKNOWN_IDS:
        error(student.post(f"{STUDENT}/courses/{cid}/review", json={"rating": 5}), 404, "NOT_FOUND")
    assert my_rows(db, seeded, Review) == 0


# --- the public course pages follow the counters --------------------------------------------------------

def _public_views(anon, course_id: str) -> list[dict]:
    """The course as the catalogue (P16) and its detail page (P17) show it (cached on the Django app)."""
    listed = next(c for c in data(anon.get("/api/v1/courses"))["courses"] if c["id"] == course_id)
    return [listed, data(anon.get(f"/api/v1/courses/{course_id}"))]


def test_enrollments_and_reviews_show_on_the_public_course_pages_at_once(anon, student, seeded):
    cid = seeded.open_course
    before = _public_views(anon, cid)  # read first, so a cache holds them
    data(student.post(f"{STUDENT}/courses/{cid}/enroll", json={}))
    enrolled = _public_views(anon, cid)
    for old, new in zip(before, enrolled, strict=True):
        assert new["enrollmentCount"] == old["enrollmentCount"] + 1
        assert new["instructor"]["studentsCount"] == old["instructor"]["studentsCount"] + 1
    data(student.post(f"{STUDENT}/courses/{cid}/review", json={"rating": 1}), 201)
    reviewed = _public_views(anon, cid)
    for old, new in zip(enrolled, reviewed, strict=True):
        assert new["ratingCount"] == old["ratingCount"] + 1 and new["rating"] < old["rating"]
    data(student.post(f"{STUDENT}/courses/{cid}/unenroll"))
    assert [v["enrollmentCount"] for v in _public_views(anon, cid)] == [v["enrollmentCount"] for v in before]


# --- N+1 guard ----------------------------------------------------------------------------------------

def _routes(seeded) -> list[tuple[str, str, dict | None]]:
    cid, vid = seeded.enrolled_course, seeded.video_ids(0)[0]
    return [
        ("GET", f"{STUDENT}/courses", None),
        ("POST", f"{STUDENT}/courses/{seeded.open_course}/enroll", {}),
        ("POST", f"{STUDENT}/courses/{seeded.open_course}/unenroll", None),
        ("GET", f"{STUDENT}/courses/{cid}/progress", None),
        ("GET", f"{STUDENT}/videos/{vid}/progress", None),
        ("PUT", f"{STUDENT}/videos/{vid}/progress", {"watchedSeconds": 10}),
        ("PUT", f"{STUDENT}/videos/{vid}/progress", {"watchedSeconds": 20}),
        ("POST", f"{STUDENT}/videos/{vid}/complete", None),
        ("POST", f"{STUDENT}/videos/{vid}/complete", None),
        ("POST", f"{STUDENT}/videos/{vid}/quiz/{seeded.quiz_id(0, 0)}/answer", {"answer": 0}),
        ("POST", f"{STUDENT}/courses/{cid}/review", {"rating": 4}),
        ("POST", f"{STUDENT}/courses/{cid}/review", {"rating": 3}),
        ("GET", f"{STUDENT}/courses", None),
    ]


def test_student_routes_stay_under_ten_queries(student, count_sql, seeded):
    for method, path, body in _routes(seeded):
        with count_sql() as sql:
            resp = student.request(method, path, json=body) if body is not None else student.request(method, path)
        assert resp.status_code in (200, 201), (method, path, resp.get_json())
        assert len(sql) < 10, (method, path, sql.statements)
