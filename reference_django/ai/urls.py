"""AI routes (API.md §3.6, P41–P46); names are the legacy Flask endpoint names."""
from __future__ import annotations

from django.urls import path

from . import apis

AI = "api/v1/ai"

urlpatterns = [
    path(f"{AI}/courses/generate-outline", apis.GenerateOutlineApi.as_view(), name="ai_generate_outline"),
    path(f"{AI}/courses/<str:course_id>/recommendations", apis.CourseRecommendationsApi.as_view(),
         name="ai_course_recommendations"),
    path(f"{AI}/courses/<str:course_id>/analyze-engagement", apis.AnalyzeEngagementApi.as_view(),
         name="ai_analyze_engagement"),
    path(f"{AI}/videos/<str:video_id>/chat", apis.VideoChatApi.as_view(), name="ai_video_chat"),
    path(f"{AI}/users/learning-path", apis.LearningPathApi.as_view(), name="ai_learning_path"),
]
