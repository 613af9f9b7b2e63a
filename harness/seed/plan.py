"""Scales: how many of each thing a seed run creates."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    generated_instructors: int
    generated_students: int
    courses_per_instructor: int   # the last one of each instructor stays a draft
    sections_per_course: int
    videos_per_section: int
    enrollments_per_student: int
    watched_videos_per_enrollment: int
    media_per_instructor: int
    activities_per_user: int


SCALES: dict[str, Scale] = {
    "small": Scale("small", 0, 4, 3, 2, 2, 2, 2, 3, 1),
    "medium": Scale("medium", 18, 1_500, 5, 3, 3, 4, 4, 4, 2),
    # ≥ 1,000,000 rows in total: about 1.33 M, 1.04 M of them in the learning tables
    # (benchmarks/seed_throughput.py measures it).
    "large": Scale("large", 198, 30_000, 8, 4, 3, 5, 4, 5, 2),
}
