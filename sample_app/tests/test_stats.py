"""GET /api/v1/stats and the cache behind it."""

import socket
from datetime import datetime

import pytest
import redis

from app import create_app
from app.cache import MemoryCache, RedisCache
from app.extensions import db
from app.models import BeatTick, Heartbeat, Note


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_stats_miss_then_hit(client):
    db.session.add_all([Note(body="a"), Heartbeat(pid=1, hostname="web-1")])
    db.session.add(BeatTick(beat_host="beat-1", worker_host="worker-1"))
    db.session.commit()

    first = client.get("/api/v1/stats").get_json()
    assert first["cache"] == "miss"
    assert (first["notes"], first["heartbeats"], first["ticks"]) == (1, 1, 1)
    assert first["host"] == socket.gethostname()
    assert datetime.fromisoformat(first["computed_at"]).tzinfo is not None

    client.post("/api/v1/notes", json={"body": "b"})
    second = client.get("/api/v1/stats").get_json()
    assert second == {**first, "cache": "hit"}  # the cached counts, not the new ones


def test_stats_are_computed_again_once_expired(app, client):
    clock = FakeClock()
    app.extensions["cache"] = MemoryCache(clock=clock)
    app.config["STATS_CACHE_SECONDS"] = 10

    assert client.get("/api/v1/stats").get_json()["cache"] == "miss"
    client.post("/api/v1/notes", json={"body": "b"})
    clock.now += 9.9
    assert client.get("/api/v1/stats").get_json()["cache"] == "hit"
    clock.now += 0.1
    fresh = client.get("/api/v1/stats").get_json()
    assert (fresh["cache"], fresh["notes"]) == ("miss", 1)


def test_unreadable_cache_entry_counts_as_a_miss(app, client):
    app.extensions["cache"].set("stats", "not json", 30)
    assert client.get("/api/v1/stats").get_json()["cache"] == "miss"
    assert client.get("/api/v1/stats").get_json()["cache"] == "hit"


def test_memory_cache_expiry():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    assert cache.get("k") is None
    cache.set("k", "v", 5)
    assert cache.get("k") == "v"
    clock.now += 5
    assert cache.get("k") is None


class FakeRedis:
    """The two redis-py calls RedisCache makes; ``broken`` makes them fail as a lost server."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.data: dict[str, tuple[str, int]] = {}

    def get(self, key: str) -> str | None:
        if self.broken:
            raise redis.ConnectionError("Connection refused")
        return self.data[key][0] if key in self.data else None

    def set(self, key: str, value: str, ex: int) -> None:
        if self.broken:
            raise redis.ConnectionError("Connection refused")
        self.data[key] = (value, ex)


def test_redis_cache_sets_with_expiry():
    client = FakeRedis()
    cache = RedisCache(client)
    cache.set("stats", "{}", 30)
    assert client.data == {"stats": ("{}", 30)}
    assert cache.get("stats") == "{}"


def test_redis_cache_errors_are_misses(caplog):
    cache = RedisCache(FakeRedis(broken=True))
    cache.set("stats", "{}", 30)
    assert cache.get("stats") is None
    assert "Connection refused" in caplog.text


@pytest.mark.parametrize(
    ("url", "kind"), [(None, MemoryCache), ("redis://127.0.0.1/0", RedisCache)]
)
def test_redis_url_selects_the_cache(monkeypatch, url, kind):
    if url:
        monkeypatch.setenv("REDIS_URL", url)
    assert type(create_app("testing").extensions["cache"]) is kind
