"""An anonymous visitor of the catalogue: lands on the course list, searches, filters and pages through it, opens
a few courses and reads their reviews (API.md P16-P18). Nothing is written; the list, detail and review answers
are the ones the apps cache, so this journey is also what the cache-hit-ratio gate measures."""
from __future__ import annotations

from typing import Any

from ..operations import COURSE, COURSE_REVIEWS, COURSES
from .base import CATALOGUE_QUERY, Journey, browsable

DIFFICULTIES = ("beginner", "intermediate", "advanced")
SORTS = ("popular", "newest", "price-asc", "price-desc", "rating")
PRICES = ("free", "paid")


class CatalogueVisit(Journey):
    def run(self) -> None:
        listing = self.browse({"sortBy": "popular", "limit": 12})
        seen = browsable(listing.get("courses", []))
        for _ in range(self.rng.randint(1, 4)):
            self.pause()
            listing = self.browse(self.refinement(seen, listing.get("pagination") or {}))
            seen = browsable(listing.get("courses", [])) or seen
        for course in self.rng.sample(seen, min(len(seen), self.rng.randint(1, 3))):
            self.pause()
            self.open_course(course["id"])

    def browse(self, changes: dict[str, Any]) -> dict:
        return self.api.call(COURSES, query={**CATALOGUE_QUERY, **changes}) or {}

    def refinement(self, seen: list[dict], pagination: dict) -> dict[str, Any]:
        """The next thing a visitor does with the list: search a word of a title, filter, sort or turn a page."""
        pick = self.rng.randrange(4)
        if pick == 0 and seen:
            words = [w for w in self.rng.choice(seen).get("title", "").split() if len(w) > 3]
            return {"search": self.rng.choice(words).lower() if words else ""}
        if pick == 1:
            return {"difficulty": self.rng.choice(DIFFICULTIES), "priceRange": self.rng.choice(PRICES)}
        if pick == 2 and seen:
            course = self.rng.choice(seen)
            return {"category": course.get("category") or "", "minRating": self.rng.choice(("", 3, 4)),
                    "sortBy": self.rng.choice(SORTS)}
        pages = max(int(pagination.get("pages") or 1), 1)
        return {"page": self.rng.randint(1, pages), "limit": 12, "sortBy": self.rng.choice(SORTS)}

    def open_course(self, course_id: str) -> None:
        self.api.call(COURSE, ids={"course_id": course_id})
        self.pause()
        reviews = self.api.call(COURSE_REVIEWS, ids={"course_id": course_id}, query={"page": 1, "limit": 20}) or {}
        if int((reviews.get("pagination") or {}).get("pages") or 0) > 1 and self.chance(0.3):
            self.pause()
            self.api.call(COURSE_REVIEWS, ids={"course_id": course_id}, query={"page": 2, "limit": 20})
