"""A WSGI app whose latency is known, for benchmarks/load_accuracy.py: each request sleeps the next value of a
fixed table (every whole millisecond from 20 to 129 ms, shuffled once with a fixed seed, repeating), so the true
latency distribution is uniform on those 110 values. Its Server-Timing `app;dur` is the sleep it took. With
KNOWN_LATENCY_FAST=1 it does not sleep (a trivial endpoint, for the saturation runs). /health answers at once."""
from __future__ import annotations

import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

VALUES_MS = list(range(20, 130))
random.Random(7).shuffle(VALUES_MS)
_NEXT = itertools.cycle(VALUES_MS)
_LOCK = threading.Lock()
FAST = os.environ.get("KNOWN_LATENCY_FAST") == "1"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    started = time.perf_counter()
    if environ.get("PATH_INFO") != "/health" and not FAST:
        with _LOCK:
            delay = next(_NEXT)
        time.sleep(delay / 1000)
    took = (time.perf_counter() - started) * 1000
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2"),
                              ("Server-Timing", f"app;dur={took:.3f}, db;dur=0;count=0")])
    return [b"{}"]
