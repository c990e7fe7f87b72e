"""The access audit log (PIPL): who looked into whose movements, when, why, and with what query, never what it found."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lianfang.common.db import UTCDateTime, new_metadata, utcnow

__all__ = ["ALERT_STATE_LABELS", "AccessAction", "AccessLogEntry", "AlertEvent", "AlertState", "TraceBase"]


class TraceBase(DeclarativeBase):
    metadata = new_metadata()


class AccessAction(StrEnum):
    # A records search by phone or ID number shows a person's visits as a trajectory does.
    person_search = "person_search"
    trajectory = "trajectory"
    contacts = "contacts"
    export = "export"
    unmask = "unmask"
    # An official confirmed a risk notice to the contacts screening found: who, when, to whom, with what text.
    risk_notice = "risk_notice"


class AccessLogEntry(TraceBase):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_actor_region_path", "actor_region_path"),
        Index("ix_access_log_subject_at", "subject", "at"),
        # The retention purge finds what has expired by this.
        Index("ix_access_log_at", "at"),
    )

    # A UUIDv7: newest first is descending id.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_region_id: Mapped[int] = mapped_column(Integer)
    # Superiors read the entries of everyone below them: the actor's region path at the time, as its token said.
    actor_region_path: Mapped[str] = mapped_column(String(255))
    action: Mapped[AccessAction] = mapped_column(Enum(AccessAction, native_enum=False, length=16))
    # The query as asked, personal data masked (`138****5678`).
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Whom the query was about, as the records store finds them (`phone:<keyed hash>`, `resident:<id>`), so that "who
    # looked this person up" is one indexed lookup without keeping the number itself.
    subject: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))


class AlertState(StrEnum):
    pending = "pending"
    handling = "handling"
    handled = "handled"


ALERT_STATE_LABELS = {AlertState.pending: "待处置", AlertState.handling: "处置中", AlertState.handled: "已处置"}


class AlertEvent(TraceBase):
    """A step in handling a fever alert (an abnormal record): its new state, a note, who and when. Append-only: the
    latest step is the alert's state, the steps are its history. An alert without any is 待处置."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_record_id", "record_id", "id"),)

    # A UUIDv7: in order of time.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    state: Mapped[AlertState] = mapped_column(Enum(AlertState, native_enum=False, length=16))
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_region_id: Mapped[int] = mapped_column(Integer)
    actor_region_path: Mapped[str] = mapped_column(String(255))
