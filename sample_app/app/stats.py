"""The numbers of GET /api/v1/stats, computed at most once per STATS_CACHE_SECONDS.

The cache (app/cache.py: redis with REDIS_URL, shared by all hosts, else the process's own)
holds the counts with the host and time of the request that computed them, as JSON.
"""

import json
import socket

from flask import current_app

from .cache import get_cache
from .models import BeatTick, Heartbeat, Note, utcnow

STATS_CACHE_KEY = "stats"


def compute_stats() -> dict[str, object]:
    return {
        "notes": Note.count(),
        "heartbeats": Heartbeat.count(),
        "ticks": BeatTick.count(),
        "host": socket.gethostname(),
        "computed_at": utcnow().isoformat(),
    }


def current_stats() -> tuple[dict[str, object], bool]:
    """The stats, and whether they came from the cache (else they were computed now)."""
    cache = get_cache()
    cached = cache.get(STATS_CACHE_KEY)
    if cached is not None:
        try:
            return json.loads(cached), True
        except ValueError:
            pass  # not ours, or cut short: compute them again
    stats = compute_stats()
    cache.set(STATS_CACHE_KEY, json.dumps(stats), current_app.config["STATS_CACHE_SECONDS"])
    return stats, False
