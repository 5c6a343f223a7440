"""A small string cache with expiry: redis when REDIS_URL is set, else one in the process.

Only what the app needs (get, and set with a lifetime), so the two kinds are interchangeable.
The app's cache is ``app.extensions["cache"]``. Redis errors are logged and answered as a miss:
a cache that is down makes requests slower, not failing.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)

# Seconds a redis command may take (connecting included) before the cache gives up on it.
REDIS_TIMEOUT = 2.0


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, seconds: int) -> None: ...


class MemoryCache:
    """A thread-safe dict whose entries expire ``seconds`` after they were set.

    ``clock`` is the monotonic time source, replaceable in tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            return value

    def set(self, key: str, value: str, seconds: int) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + seconds, value)


class RedisCache:
    """Entries in redis (``SET key value EX seconds``), shared by every process and host."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    @classmethod
    def from_url(cls, url: str) -> "RedisCache":
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        return cls(client)

    def get(self, key: str) -> str | None:
        try:
            return self._client.get(key)
        except redis.RedisError as exc:
            log.warning("cache get %r failed: %s", key, exc)
            return None

    def set(self, key: str, value: str, seconds: int) -> None:
        try:
            self._client.set(key, value, ex=seconds)
        except redis.RedisError as exc:
            log.warning("cache set %r failed: %s", key, exc)


def init_cache(app: Flask) -> None:
    """Attach the cache chosen by REDIS_URL to ``app`` (nothing connects yet)."""
    url = app.config["REDIS_URL"]
    app.extensions["cache"] = RedisCache.from_url(url) if url else MemoryCache()


def get_cache() -> Cache:
    """The current app's cache."""
    return current_app.extensions["cache"]
