"""Public reference data: communes, schools and sectors of activity."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import Base, enum_type


class Commune(Base):
    __tablename__ = "communes"

    code_insee: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    postcodes: Mapped[str] = mapped_column(sa.String(120))  # space-separated, as published
    population: Mapped[int | None]
    lat: Mapped[float]
    lon: Mapped[float]
    in_agglomeration: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    __table_args__ = (
        sa.CheckConstraint("length(code_insee) = 5", name="code_insee_length"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
    )

    def __repr__(self) -> str:
        return f"<Commune {self.code_insee} {self.name}>"


class SchoolKind(enum.StrEnum):
    COLLEGE = "college"
    LYCEE = "lycee"


class Priority(enum.StrEnum):
    REP = "REP"
    REP_PLUS = "REP+"


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    uai: Mapped[str] = mapped_column(sa.String(8), unique=True)
    kind: Mapped[SchoolKind] = mapped_column(enum_type(SchoolKind, "school_kind"))
    name: Mapped[str] = mapped_column(sa.String(200))
    former_name: Mapped[str | None] = mapped_column(sa.String(200))
    is_public: Mapped[bool] = mapped_column(default=True)
    commune_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code_insee"))
    town: Mapped[str] = mapped_column(sa.String(120))
    priority: Mapped[Priority | None] = mapped_column(enum_type(Priority, "priority"))
    qpv_situation: Mapped[str | None] = mapped_column(sa.String(200))
    lat: Mapped[float]
    lon: Mapped[float]
    head_name: Mapped[str | None] = mapped_column(sa.String(200))
    default_max_km: Mapped[float] = mapped_column(default=10.0, server_default="10")

    commune: Mapped[Commune | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("length(uai) = 8", name="uai_length"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
        sa.CheckConstraint("default_max_km > 0 AND default_max_km <= 100", name="default_max_km"),
    )

    def __repr__(self) -> str:
        return f"<School {self.uai} {self.name}>"


class Sector(Base):
    __tablename__ = "sectors"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Sector {self.code}>"
