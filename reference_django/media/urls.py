"""Media routes (API.md §3.7, §3.9: P47-P51, P53-P61, X9); names are the legacy Flask endpoint names.
The local bucket (`/_local-bucket/upload`) is storage, not API: media.bucket.LocalBucketMiddleware serves it."""
from __future__ import annotations

from django.urls import path

from . import apis

MEDIA = "api/v1/media"

urlpatterns = [
    path("api/v1/videos/upload", apis.VideoUploadApi.as_view(), name="upload_video"),
    path("api/v1/thumbnails/upload", apis.ThumbnailUploadApi.as_view(), name="upload_thumbnail"),
    path("api/v1/documents/upload", apis.DocumentUploadApi.as_view(), name="upload_document"),
    path("api/v1/delete", apis.DeleteUploadApi.as_view(), name="upload_delete"),
    path("api/v1/uploads/<str:category>/<path:filename>", apis.ServeUploadApi.as_view(), name="upload_serve"),
    path(f"{MEDIA}/upload/initiate", apis.UploadInitiateApi.as_view(), name="media_upload_initiate"),
    path(f"{MEDIA}/upload/complete", apis.UploadCompleteApi.as_view(), name="media_upload_complete"),
    path(f"{MEDIA}/upload/progress/<str:session_key>", apis.UploadProgressApi.as_view(),
         name="media_upload_progress"),
    path(f"{MEDIA}/media/<str:media_file_id>", apis.MediaItemApi.as_view(), name="media_item"),
    path(f"{MEDIA}/media/<str:media_file_id>/process", apis.MediaProcessApi.as_view(), name="media_process"),
    path(f"{MEDIA}/media/<str:media_file_id>/attach-video", apis.MediaAttachVideoApi.as_view(),
         name="media_attach_video"),
    path(f"{MEDIA}/user/media", apis.UserMediaApi.as_view(), name="media_user_media"),
    path(f"{MEDIA}/user/storage-usage", apis.StorageUsageApi.as_view(), name="media_storage_usage"),
    path(f"{MEDIA}/user/unassigned-videos", apis.UnassignedVideosApi.as_view(), name="media_unassigned_videos"),
]
