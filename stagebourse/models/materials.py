"""Sensitisation materials for tutors, pupils and teachers, and tutors' acknowledgements."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stagebourse.models.base import Base, UTCDateTime, enum_type, utcnow


class Audience(enum.StrEnum):
    TUTOR = "tutor"
    PUPIL = "pupil"
    TEACHER = "teacher"


class Material(Base):
    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[Audience] = mapped_column(enum_type(Audience, "audience"))
    body_md: Mapped[str] = mapped_column(sa.Text)
    attachment_name: Mapped[str | None] = mapped_column(sa.String(300))
    is_current: Mapped[bool] = mapped_column(default=True)
    # Reading order within an audience (smallest first).
    position: Mapped[int] = mapped_column(default=100, server_default="100")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who wrote this version: a steering user, or None for the files of seed/materials/.
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint("slug", "version"),
        sa.CheckConstraint("version >= 1", name="version"),
        # Exactly one current version per slug, enforced by the database.
        sa.Index("uq_materials_current_slug", "slug", unique=True,
                 sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")),
    )

    def __repr__(self) -> str:
        return f"<Material {self.slug} v{self.version}>"


class MaterialAcknowledgement(Base):
    """A tutor read the material of a campaign and said so."""

    __tablename__ = "material_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(sa.ForeignKey("tutors.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id"))
    acknowledged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("tutor_id", "campaign_id", "material_id"),
        sa.Index("ix_material_acknowledgements_campaign_tutor", "campaign_id", "tutor_id"),
    )
