"""What every journey shares: the API, its random source, the pauses, and the catalogue as a client reads it."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api import Api

#: The tag of the courses the instructor journey creates and deletes again within one session. Other journeys
#: leave them alone: a reader that picked one could see it vanish between two requests, a failure of the test
#: set-up, not of the app. A real client has no such filter; the seeded catalogue is what they browse.
EPHEMERAL_TAG = "load-journey"

#: The query the web client sends with every catalogue page (the Postman collection's P16, every key present,
#: empty meaning "no filter").
CATALOGUE_QUERY: dict[str, Any] = {"search": "", "difficulty": "all", "category": "", "priceRange": "all",
                                   "minRating": "", "instructor": "", "sortBy": "newest", "page": 1, "limit": 20}


def browsable(courses: list[dict]) -> list[dict]:
    """The courses of a listing that a journey may open: not one the instructor journey will delete."""
    return [c for c in courses if c.get("id") and EPHEMERAL_TAG not in (c.get("tags") or [])]


@dataclass(slots=True)
class Journey:
    api: Api
    pause: Callable[[], None]  # a think time between two actions
    rng: random.Random = field(default_factory=random.Random)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability
