"""Database models. The schema itself is created by the migrations in migrations/versions."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

NOTE_BODY_MAX_LENGTH = 500
MIGRATION_RUN_VERSION_MAX_LENGTH = 64


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; naive values are UTC already (SQLite drops the offset)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Note(db.Model):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(NOTE_BODY_MAX_LENGTH), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )

    @classmethod
    def count(cls) -> int:
        return db.session.scalar(select(func.count()).select_from(cls))

    @classmethod
    def newest(cls, limit: int) -> list["Note"]:
        query = select(cls).order_by(cls.created_at.desc(), cls.id.desc()).limit(limit)
        return list(db.session.scalars(query))

    @classmethod
    def after(cls, note_id: int, limit: int) -> list["Note"]:
        """The notes with an id above ``note_id``, oldest (lowest id) first."""
        query = select(cls).where(cls.id > note_id).order_by(cls.id).limit(limit)
        return list(db.session.scalars(query))

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "body": self.body,
            "created_at": as_utc(self.created_at).isoformat(),
        }


class Heartbeat(db.Model):
    """One row per beat of the background task (tasks/heartbeat.py)."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    hostname: Mapped[str] = mapped_column(String(255), nullable=False)

    @classmethod
    def count(cls) -> int:
        return db.session.scalar(select(func.count()).select_from(cls))

    @classmethod
    def latest(cls) -> "Heartbeat | None":
        query = select(cls).order_by(cls.beat_at.desc(), cls.id.desc()).limit(1)
        return db.session.scalars(query).first()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "beat_at": as_utc(self.beat_at).isoformat(),
            "pid": self.pid,
            "hostname": self.hostname,
        }


class MigrationRun(db.Model):
    """One row per run of ``flask migrate`` (app/cli.py), written after the upgrade."""

    __tablename__ = "migration_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(MIGRATION_RUN_VERSION_MAX_LENGTH), nullable=False)
    hostname: Mapped[str] = mapped_column(String(255), nullable=False)
    ran_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )

    @classmethod
    def count(cls) -> int:
        return db.session.scalar(select(func.count()).select_from(cls))

    @classmethod
    def newest(cls, limit: int) -> list["MigrationRun"]:
        query = select(cls).order_by(cls.ran_at.desc(), cls.id.desc()).limit(limit)
        return list(db.session.scalars(query))

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "version": self.version,
            "hostname": self.hostname,
            "ran_at": as_utc(self.ran_at).isoformat(),
        }


class BeatTick(db.Model):
    """One row per tick of celery beat, written by the worker that ran demo.tick (app/jobs.py)."""

    __tablename__ = "beat_ticks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    beat_host: Mapped[str] = mapped_column(String(255), nullable=False)
    worker_host: Mapped[str] = mapped_column(String(255), nullable=False)
    ticked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )

    @classmethod
    def count(cls) -> int:
        return db.session.scalar(select(func.count()).select_from(cls))

    @classmethod
    def newest(cls, limit: int) -> list["BeatTick"]:
        query = select(cls).order_by(cls.ticked_at.desc(), cls.id.desc()).limit(limit)
        return list(db.session.scalars(query))

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "beat_host": self.beat_host,
            "worker_host": self.worker_host,
            "ticked_at": as_utc(self.ticked_at).isoformat(),
        }
