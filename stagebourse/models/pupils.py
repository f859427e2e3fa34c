"""Pupils: the least data needed to give them an internship (MISSION.md, rule 6)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stagebourse.models.base import LEVEL_TYPE, Base, Level, UTCDateTime, enum_type, utcnow
from stagebourse.models.reference import Commune, School

if TYPE_CHECKING:
    from stagebourse.models.users import User


class Gender(enum.StrEnum):
    FEMALE = "F"
    MALE = "M"
    OTHER = "X"


class ConsentMethod(enum.StrEnum):
    PAPER = "paper"  # signed slip kept by the school
    EMAIL = "email"
    IN_PERSON = "in_person"


class Pupil(Base):
    __tablename__ = "pupils"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id"))
    class_name: Mapped[str] = mapped_column(sa.String(40))
    level: Mapped[Level] = mapped_column(LEVEL_TYPE)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[dt.date]
    # Optional, used by the fairness audit only, never by the matcher.
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender, "gender"))
    qpv_resident: Mapped[bool | None]
    # Travel is measured from the home commune's centre, else from the school: never an address.
    home_commune_code: Mapped[str | None] = mapped_column(sa.ForeignKey("communes.code_insee"))
    max_travel_km: Mapped[float | None]
    needs_accessible: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    guardian_email: Mapped[str | None] = mapped_column(sa.String(254))
    consent_on: Mapped[dt.date | None]
    consent_method: Mapped[ConsentMethod | None] = mapped_column(
        enum_type(ConsentMethod, "consent_method")
    )
    # Who recorded it, as a label that survives the account (details in the journal).
    consent_recorded_by: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every edit: two teachers editing the same pupil cannot overwrite each other.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    school: Mapped[School] = relationship()
    home_commune: Mapped[Commune | None] = relationship()
    user: Mapped[User | None] = relationship(
        back_populates="pupil", foreign_keys="User.pupil_id", uselist=False
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "max_travel_km IS NULL OR (max_travel_km > 0 AND max_travel_km <= 100)",
            name="max_travel_km",
        ),
        # A school's pupils, and a class's: the class board reads one class of hundreds.
        sa.Index("ix_pupils_school_id_class_name", "school_id", "class_name"),
    )

    def __repr__(self) -> str:
        return f"<Pupil {self.id}>"
