"""P16-P19 and P29-P40. The url names are the legacy Flask endpoint names: rate-limit counters are keyed on them."""
from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/courses", apis.CourseListApi.as_view(), name="courses_list"),
    # The literal path before the parametrised one (API.md §3.3, §6 D3).
    path("api/v1/courses/recommended", apis.RecommendedCoursesApi.as_view(), name="courses_recommended"),
    path("api/v1/courses/<str:course_id>", apis.CourseDetailApi.as_view(), name="courses_detail"),
    path("api/v1/courses/<str:course_id>/reviews", apis.CourseReviewsApi.as_view(), name="courses_reviews"),
    path("api/v1/instructor/courses", apis.InstructorCoursesApi.as_view(), name="instructor_courses"),
    path("api/v1/instructor/courses/<str:course_id>", apis.InstructorCourseApi.as_view(), name="instructor_course"),
    path("api/v1/instructor/courses/<str:course_id>/publish", apis.PublishCourseApi.as_view(),
         name="instructor_course_publish"),
    path("api/v1/instructor/courses/<str:course_id>/unpublish", apis.UnpublishCourseApi.as_view(),
         name="instructor_course_unpublish"),
    path("api/v1/instructor/courses/<str:course_id>/duplicate", apis.DuplicateCourseApi.as_view(),
         name="instructor_course_duplicate"),
    # The literal reorder path before its parametrised siblings.
    path("api/v1/instructor/courses/<str:course_id>/videos/reorder", apis.ReorderVideosApi.as_view(),
         name="instructor_videos_reorder"),
    path("api/v1/instructor/courses/<str:course_id>/videos", apis.CourseVideosApi.as_view(),
         name="instructor_course_videos"),
    path("api/v1/instructor/videos/<str:video_id>", apis.InstructorVideoApi.as_view(), name="instructor_video"),
]
