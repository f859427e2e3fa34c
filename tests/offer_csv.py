"""Build offer CSV files for the import tests."""

from __future__ import annotations

from stagebourse.services.offer_import import COLUMNS


def offer_row(n: int, **overrides: str) -> dict[str, str]:
    row = {c: "" for c in COLUMNS}
    row.update({
        "reference": f"SITE-{n:03d}", "titre": f"Offre du site {n:03d}", "secteur": "industrie",
        "description": "L'élève découvre la production et le contrôle qualité du site.",
        "adresse": f"{n} rue de Famars", "commune": "59606" if n % 2 else "Anzin",
        "niveaux": "3e", "age_min": "14", "accessible": "oui" if n % 3 == 0 else "non",
        "lundi": "09:00-12:00 13:00-16:00", "mardi": "09:00-12:00 13:00-16:00",
        "mercredi": "09:00-12:00", "jeudi": "09:00-12:00 13:00-16:00",
        "vendredi": "09:00-12:00 13:00-15:00", "attestation_securite": "oui",
        "tuteur_nom": "Camille Martin", "tuteur_fonction": "Responsable qualité",
        "tuteur_email": "camille.martin@atelier-test.fr", "semaines": "2027-W05:2 2027-W06:1",
    })
    row.update(overrides)
    return row


def offers_csv(rows: list[dict[str, str]], delimiter: str = ";",
               columns: list[str] = COLUMNS) -> str:
    def cell(value: str) -> str:
        return f'"{value}"' if delimiter in value or '"' in value else value

    lines = [delimiter.join(columns)]
    lines += [delimiter.join(cell(row.get(c, "")) for c in columns) for row in rows]
    return "\r\n".join(lines) + "\r\n"
