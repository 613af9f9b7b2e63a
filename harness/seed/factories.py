"""factory-boy factories for the shared schema's rows, as plain dicts keyed by column name.

They carry the content of a row (titles, text, numbers); the builder sets keys, links and
timestamps. The builder draws content from `content_pool()`: a table's pool is built once per run,
from its own random state, so every Faker value is repeatable and the hot tables stay cheap.
"""

from __future__ import annotations

from decimal import Decimal

import factory
import factory.random

from .ids import at


class Row(factory.DictFactory):
    """Columns of the +M mixin (SCHEMA.md §1) with neutral values."""

    is_deleted = False
    deleted_at = None
    created_by_id = None
    updated_by_id = None
    deleted_by_id = None
    version = 1


class UserRow(Row):
    username = None
    password_hash = None
    full_name = factory.Faker("name")
    display_name = factory.LazyAttribute(lambda o: o.full_name.split(" ")[0][:100])
    avatar_url = None
    phone = factory.Faker("numerify", text="+1##########")
    bio = factory.Faker("sentence", nb_words=10)
    status = "active"
    email_verified = True
    phone_verified = False
    two_factor_enabled = False
    metadata = factory.LazyFunction(dict)
    preferences = factory.LazyFunction(dict)
    last_login_at = None
    last_login_ip = None
    last_login_device = ""


TOPICS = (
    "Python",
    "React",
    "Data Science",
    "Machine Learning",
    "Django",
    "Flask",
    "SQL",
    "Kubernetes",
    "Rust",
    "Go",
    "TypeScript",
    "Design Systems",
    "Statistics",
    "Cloud Security",
    "Linux",
)
CATEGORIES = ("Web Development", "Data Science", "DevOps", "Programming", "Design", "Security")
DIFFICULTIES = ("beginner", "intermediate", "advanced")


class CourseRow(Row):
    topic = factory.Iterator(TOPICS)
    title = factory.LazyAttributeSequence(
        lambda o, n: f"{o.topic} {('Foundations', 'in Practice', 'Deep Dive', 'Masterclass')[n % 4]} {n + 1}"
    )
    description = factory.Faker("paragraph", nb_sentences=3)
    short_description = factory.Faker("sentence", nb_words=12)
    thumbnail_url = factory.LazyAttributeSequence(
        lambda o, n: f"https://cdn.unpuzzle.test/thumbnails/course-{n + 1}.jpg"
    )
    preview_video_url = None
    price = factory.Iterator([Decimal("0.00"), Decimal("19.99"), Decimal("49.99"), Decimal("99.99"), Decimal("149.00")])
    currency = "USD"
    discount_price = None
    is_free = factory.LazyAttribute(lambda o: o.price == 0)
    duration = factory.Faker("random_int", min=1800, max=36000, step=60)
    difficulty = factory.Iterator(DIFFICULTIES)
    language = "en"
    category = factory.Iterator(CATEGORIES)
    tags = factory.LazyAttribute(lambda o: [o.topic.lower().replace(" ", "-"), o.difficulty])
    prerequisites = factory.LazyFunction(lambda: ["Basic programming knowledge"])
    learning_outcomes = factory.LazyAttribute(
        lambda o: [f"Build real projects with {o.topic}", f"Understand {o.topic} internals"]
    )
    target_audience = factory.LazyFunction(lambda: ["Developers"])
    course_structure = None
    enrollment_count = 0
    completion_count = 0
    rating = 0.0
    rating_count = 0
    status = "published"
    is_published = True
    published_at = None
    metadata = factory.LazyFunction(dict)
    seo_metadata = factory.LazyFunction(dict)

    class Meta:
        exclude = ("topic",)


class SectionRow(Row):
    title = factory.Faker("catch_phrase")
    description = factory.Faker("sentence", nb_words=8)
    is_published = True
    is_preview = False


class VideoRow(Row):
    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("sentence", nb_words=12)
    video_provider = "backblaze"
    thumbnail_url = None
    duration_seconds = factory.Faker("random_int", min=120, max=1800)
    is_downloadable = False
    is_published = True
    transcript_url = None
    subtitles_url = None
    transcript = factory.LazyFunction(list)
    resources = factory.LazyFunction(list)
    metadata = None
    video_quality = "720p"
    has_captions = False
    caption_languages = factory.LazyFunction(list)


class QuizRow(Row):
    question = factory.Faker("sentence", nb_words=7)
    options = factory.LazyFunction(lambda: ["Option A", "Option B", "Option C", "Option D"])
    correct_answer = factory.Iterator([0, 1, 2, 3])
    explanation = factory.Faker("sentence", nb_words=10)
    order_index = 0


class ReviewRow(Row):
    rating = factory.Iterator([5, 4, 5, 3, 4, 2, 5])
    title = factory.Faker("sentence", nb_words=4)
    comment = factory.Faker("paragraph", nb_sentences=2)
    pros = factory.LazyFunction(lambda: ["Clear explanations"])
    cons = factory.LazyFunction(list)
    is_verified_purchase = True
    helpful_count = factory.Faker("random_int", min=0, max=40)
    reported_count = 0


class ChatRow(Row):
    message = factory.Faker("sentence", nb_words=9)
    response = factory.Faker("paragraph", nb_sentences=2)
    message_type = "question"
    context_data = factory.LazyFunction(dict)
    tokens_used = factory.Faker("random_int", min=20, max=400)


#: Distinct content rows per table; high-volume tables reuse them in turn (factory-boy costs ~0.3 ms a row).
POOL_SIZE = 1_000


def content_pool(row_factory: type[factory.DictFactory], seed: int, table: str, size: int) -> list[dict]:
    """`size` rows of `row_factory` content, the same for the same (seed, table) in any process.

    The factory restarts from sequence 0 with its iterators at their start and Faker is reseeded
    for this table, so a pool depends neither on other tables nor on earlier builds in the process.
    """
    factory.random.reseed_random(f"{seed}:{table}")
    row_factory.reset_sequence(0, force=True)  # the counter is shared by every DictFactory
    for declaration in row_factory._meta.pre_declarations.as_dict().values():
        if isinstance(declaration, factory.Iterator):
            declaration.reset()
    return [row_factory.build() for _ in range(size)]


def timestamps(minutes: float) -> dict:
    ts = at(minutes)
    return {"created_at": ts, "updated_at": ts}


__all__ = [
    "POOL_SIZE",
    "ChatRow",
    "CourseRow",
    "QuizRow",
    "ReviewRow",
    "Row",
    "SectionRow",
    "UserRow",
    "VideoRow",
    "content_pool",
    "timestamps",
]
