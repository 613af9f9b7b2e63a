"""P46: why each step of a learner's path is on it (an enrolled course, or a stored recommendation)."""
from __future__ import annotations


def enrolled_reason(course_title: str, percent_complete: float) -> str:
    if percent_complete >= 100:
        return f"You completed {course_title}; review it to keep the skills fresh."
    if percent_complete > 0:
        return f"Continue {course_title}: you are {percent_complete:.0f}% through."
    return f"Start {course_title}: you are enrolled but have not begun yet."


def recommended_reason(course_title: str, stored_reason: str) -> str:
    return stored_reason.strip() or f"{course_title} builds on the courses you are taking."
