"""Student learning routes (API.md §3.4, P20–P28); names are the legacy Flask endpoint names."""
from __future__ import annotations

from django.urls import path

from . import apis

STUDENT = "api/v1/student"

urlpatterns = [
    path(f"{STUDENT}/courses", apis.StudentCoursesApi.as_view(), name="student_courses"),
    path(f"{STUDENT}/courses/<str:course_id>/enroll", apis.EnrollApi.as_view(), name="student_enroll"),
    path(f"{STUDENT}/courses/<str:course_id>/unenroll", apis.UnenrollApi.as_view(), name="student_unenroll"),
    path(f"{STUDENT}/courses/<str:course_id>/progress", apis.CourseProgressApi.as_view(),
         name="student_course_progress"),
    path(f"{STUDENT}/courses/<str:course_id>/review", apis.CourseReviewApi.as_view(), name="student_course_review"),
    path(f"{STUDENT}/videos/<str:video_id>/progress", apis.VideoProgressApi.as_view(), name="student_video_progress"),
    path(f"{STUDENT}/videos/<str:video_id>/complete", apis.CompleteVideoApi.as_view(), name="student_video_complete"),
    path(f"{STUDENT}/videos/<str:video_id>/quiz/<str:quiz_id>/answer", apis.QuizAnswerApi.as_view(),
         name="student_quiz_answer"),
]
