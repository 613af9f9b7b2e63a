"""P41: suggestions to the instructor, read from facts about the course and its videos.

Each finding is a rule in `FINDINGS`, a condition on the facts and the text it adds, checked in order;
fewer than three findings are topped up with general tips chosen by the course's title.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from .hashing import digest


@dataclass(frozen=True, slots=True)
class CourseFacts:
    """What the course-improvement suggestions look at, read from the course and its videos."""

    title: str
    description: str
    short_description: str
    has_thumbnail: bool
    tags: int
    learning_outcomes: int
    prerequisites: int
    target_audience: int
    video_count: int
    preview_count: int
    videos_without_quiz: int
    videos_without_description: int
    total_video_seconds: int
    rating: float
    rating_count: int


def _long_videos(f: CourseFacts) -> bool:
    return bool(f.video_count and f.total_video_seconds and f.total_video_seconds / f.video_count > 20 * 60)


#: (condition, text) in the order the findings are listed; the text is formatted with the facts' fields.
FINDINGS: tuple[tuple[Callable[[CourseFacts], object], str], ...] = (
    (lambda f: f.video_count == 0,
     "Add your first video: a course needs at least one video before it can be published."),
    (lambda f: f.video_count != 0 and f.video_count < 5,
     "The course has only {video_count} video(s); aim for at least 5 focused lessons."),
    (lambda f: f.video_count and f.preview_count == 0,
     "Mark one early video as a free preview so prospective students can try the course."),
    (lambda f: f.videos_without_quiz,
     "Add quiz points to the {videos_without_quiz} video(s) without any to check understanding."),
    (lambda f: f.videos_without_description,
     "Write descriptions for the {videos_without_description} video(s) that have none."),
    (_long_videos,
     "Videos average over 20 minutes; split long lessons into segments of 5 to 15 minutes."),
    (lambda f: len(f.description) < 200,
     "Expand the course description to at least 200 characters covering outcomes and audience."),
    (lambda f: not f.short_description,
     "Add a short description: it is the text shown on course cards."),
    (lambda f: not f.has_thumbnail,
     "Upload a thumbnail; listings without an image get fewer clicks."),
    (lambda f: f.learning_outcomes < 3,
     "List at least 3 learning outcomes so students know what they will gain."),
    (lambda f: f.prerequisites == 0,
     "State the prerequisites, even if the answer is 'none', to set expectations."),
    (lambda f: f.target_audience == 0,
     "Describe the target audience to help the right students find the course."),
    (lambda f: f.tags < 3,
     "Add at least 3 tags to improve how the course is found in search."),
    (lambda f: f.rating_count >= 3 and f.rating < 4.0,
     "The average rating is {rating:.1f}; read the lowest reviews for recurring issues."),
)

_GENERAL_TIPS = (
    "Open each video with one sentence on what the learner will be able to do by its end.",
    "Close every section with a short recap video that ties its lessons together.",
    "Add a small hands-on exercise after each section so learners apply what they watched.",
    "Reply to new reviews within a few days; visible instructor activity raises enrollments.",
    "Offer a downloadable cheat sheet as a resource on the final video.",
    "Refresh the thumbnail and short description before each promotion so the listing stays current.",
)


def findings(f: CourseFacts) -> list[str]:
    """The text of every rule in `FINDINGS` that the facts meet, in order."""
    fields = asdict(f)
    return [text.format(**fields) for applies, text in FINDINGS if applies(f)]


def course_improvements(f: CourseFacts, *, limit: int = 6) -> list[str]:
    """Up to `limit` findings about the course, topped up to three with tips chosen by its title."""
    out = findings(f)[:limit]
    start = digest("tips", f.title) % len(_GENERAL_TIPS)
    out += [_GENERAL_TIPS[(start + k) % len(_GENERAL_TIPS)] for k in range(max(0, 3 - len(out)))]
    return out
