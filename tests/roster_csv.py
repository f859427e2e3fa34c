"""Build class roster CSV files for the roster import tests."""

from __future__ import annotations


def roster_csv(rows: list[list[str]], *, sep: str = ";",
               header: tuple[str, ...] = ("nom", "prenom", "date_naissance", "classe")) -> str:
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


FIRST_NAMES = ["Lina", "Inès", "Jade", "Aya", "Sarah", "Léa", "Nour", "Chloé", "Yanis", "Adam",
               "Rayan", "Noah", "Ilyes", "Nolan", "Sofiane", "Mathis", "Zoé", "Manon", "Emma",
               "Rania", "Assia", "Camille", "Lucas", "Hugo", "Enzo", "Bilal", "Maël", "Théo"]


def class_rows(count: int = 28, class_name: str = "3B") -> list[list[str]]:
    return [[f"Élève{i:02d}", FIRST_NAMES[i % len(FIRST_NAMES)], f"{(i % 27) + 1:02d}/05/2012",
             class_name] for i in range(count)]
