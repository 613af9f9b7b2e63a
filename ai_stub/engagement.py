"""P45: what the instructor reads about engagement, from the course's metrics and drop-off points."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _improvement_areas(metrics: dict[str, Any], active_share: float, video_count: int) -> list[str]:
    """The thresholds the course falls below, each with what to do about it."""
    areas: list[str] = []
    if active_share < 50:
        areas.append("Fewer than half of the students have started; send a welcome message with a first step.")
    if metrics["avgProgress"] < 50:
        areas.append("Progress is below 50% on average; add section recaps to keep students moving.")
    if metrics["completionRate"] < 20:
        areas.append("Few students finish; consider a certificate or a capstone project as an incentive.")
    if video_count < 5:
        areas.append("The course has few videos; more, shorter lessons make progress feel faster.")
    return areas


def engagement_insights(metrics: dict[str, Any], drop_offs: Sequence[dict[str, Any]],
                        video_count: int) -> tuple[list[str], list[str]]:
    """(insights, improvementAreas) from P45's metrics and drop-off points."""
    enrollments = metrics["enrollments"]
    if enrollments == 0:
        return (["No students are enrolled yet, so there is no engagement to analyse."],
                ["Promote the course and add a free preview video to attract the first students."])
    active_share = 100.0 * metrics["activeStudents"] / enrollments
    insights = [f"{metrics['activeStudents']} of {enrollments} enrolled students "
                f"({active_share:.0f}%) have started watching.",
                f"Average progress is {metrics['avgProgress']:.1f}% and the completion rate is "
                f"{metrics['completionRate']:.1f}%."]
    areas: list[str] = []
    if drop_offs:
        worst = max(drop_offs, key=lambda d: d["dropOffRate"])  # the first of equals: the earliest video
        insights.append(f'The largest drop-off ({worst["dropOffRate"]:.1f}%) is at "{worst["title"]}".')
        areas.append(f'Review "{worst["title"]}": shorten it or add a quiz point before the drop-off.')
    areas += _improvement_areas(metrics, active_share, video_count)
    return insights, areas or ["Engagement is healthy; keep the course fresh with an update each quarter."]
