"""Sensitisation materials: load the shipped texts, let the steering group edit them (each edit
is a new version), and render their Markdown safely."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select

from stagebourse.extensions import db
from stagebourse.models import Audience, Material, User
from stagebourse.services import ServiceError, journal
from stagebourse.services.files import private_files_dir, write_private
from stagebourse.services.journal import Event
from stagebourse.services.policy import Action, require
from stagebourse.services.reference import SEED_DIR

MATERIALS_DIR = SEED_DIR / "materials"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)

# CommonMark with raw HTML disabled: "<script>" or 'style="…"' typed in a material is shown as
# text, never interpreted. markdown-it also refuses javascript:/vbscript:/data: link targets.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str, heading_offset: int = 0) -> Markup:
    """Markdown to HTML that is safe to put in a page or an e-mail.

    ``heading_offset`` pushes headings down (1: "#" becomes h2) so that a material shown
    under its own title keeps a correct outline.
    """
    tokens = _markdown.parse(text)
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(6, int(token.tag[1]) + heading_offset)
                token.tag = f"h{level}"
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Markup(html)  # noqa: S704 - raw HTML is disabled above: the output is safe


def audience_label(audience: Audience) -> str:
    return {Audience.TUTOR: "tuteurs", Audience.PUPIL: "élèves",
            Audience.TEACHER: "professeurs"}[audience]


# Reading -----------------------------------------------------------------------------------------


def current_materials(audience: Audience | None = None) -> list[Material]:
    query = select(Material).where(Material.is_current.is_(True))
    if audience is not None:
        query = query.where(Material.audience == audience)
    return list(db.session.scalars(
        query.order_by(Material.audience, Material.position, Material.slug)).all())


def current_material(slug: str) -> Material | None:
    return db.session.scalar(
        select(Material).where(Material.slug == slug, Material.is_current.is_(True))
    )


def material_history(slug: str) -> list[Material]:
    return list(db.session.scalars(
        select(Material).where(Material.slug == slug).order_by(Material.version.desc())
    ).all())


# Writing -----------------------------------------------------------------------------------------


def _check(slug: str, title: str, body_md: str) -> None:
    if not SLUG_RE.match(slug):
        raise ServiceError(_l(
            "L'identifiant « %(slug)s » n'est pas valide : utilisez des minuscules sans accent, "
            "des chiffres et des tirets (exemple : tuteur-accueil).", slug=slug
        ))
    if not title.strip():
        raise ServiceError(_l("Donnez un titre au support."))
    if not body_md.strip():
        raise ServiceError(_l("Le texte du support est vide : écrivez-le avant d'enregistrer."))


_KEEP = "keep"


def _new_version(slug: str, title: str, audience: Audience, body_md: str,
                 actor: User | None, minimum_version: int = 1,
                 position: int | None = None,
                 attachment_name: str | None = _KEEP) -> tuple[Material, bool]:
    """Add a version if the text or the attachment changed.

    Returns (current material, whether it is new). ``attachment_name`` defaults to keeping the
    current version's attachment; None removes it.
    """
    current = current_material(slug)
    body_md = body_md.strip() + "\n"
    title = title.strip()
    if position is None:
        position = current.position if current is not None else 100
    if attachment_name == _KEEP:
        attachment_name = current.attachment_name if current is not None else None
    if current is not None and (current.title, current.audience, current.body_md,
                                current.attachment_name) == (
            title, audience, body_md, attachment_name):
        current.position = position  # reordering alone is not a new version of the text
        return current, False
    version = max(minimum_version, current.version + 1 if current is not None else 1)
    if current is not None:
        current.is_current = False
        # The partial unique index allows one current row per slug: retire the old one first.
        db.session.flush()
    material = Material(slug=slug, title=title, audience=audience, body_md=body_md,
                        version=version, is_current=True, position=position,
                        attachment_name=attachment_name,
                        created_by_id=actor.id if actor is not None else None)
    db.session.add(material)
    db.session.flush()
    return material, True


# Attachments: a PDF per version, stored outside the static folder and served only by routes
# that check access (steering, or a tutor's valid link).
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def attachments_dir() -> Path:
    return private_files_dir("materials")


def attachment_path(material: Material) -> Path | None:
    if not material.attachment_name:
        return None
    path = attachments_dir() / material.attachment_name
    return path if path.is_file() else None


def _store_attachment(slug: str, data: bytes) -> str:
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise ServiceError(_l("Le document joint dépasse 10 Mo : envoyez une version plus légère."))
    if not data.startswith(b"%PDF-"):
        raise ServiceError(_l("Le document joint doit être un PDF. Enregistrez-le en PDF puis "
                              "envoyez-le de nouveau."))
    folder = attachments_dir()
    name = f"{slug}-{secrets.token_hex(8)}.pdf"
    write_private(folder / name, data)
    return name


def create_material(actor: User, data: dict[str, Any],
                    attachment: bytes | None = None) -> Material:
    require(actor, Action.STEER_MATERIALS)
    slug = (data.get("slug") or "").strip().lower()
    title, body = data.get("title") or "", data.get("body_md") or ""
    _check(slug, title, body)
    if db.session.scalar(select(Material.id).where(Material.slug == slug).limit(1)):
        raise ServiceError(_l(
            "Un support porte déjà l'identifiant « %(slug)s » : choisissez-en un autre, ou "
            "modifiez le support existant.", slug=slug
        ))
    stored = _store_attachment(slug, attachment) if attachment else None
    material, _ = _new_version(slug, title, Audience(data["audience"]), body, actor,
                               attachment_name=stored)
    journal.record(actor, Event.MATERIAL_CREATE, material, slug=slug, version=material.version)
    db.session.flush()
    return material


def edit_material(actor: User, slug: str, data: dict[str, Any],
                  attachment: bytes | None = None) -> tuple[Material, bool]:
    """Save an edit as a new version (the old one is kept, and so are acknowledgements of it).

    A new PDF replaces the attachment; ``data["remove_attachment"]`` removes it; otherwise the
    new version keeps the current one.
    """
    require(actor, Action.STEER_MATERIALS)
    current = current_material(slug)
    if current is None:
        raise ServiceError(_l("Ce support n'existe plus. Rechargez la liste des supports."))
    title, body = data.get("title") or "", data.get("body_md") or ""
    _check(slug, title, body)
    audience = Audience(data.get("audience") or current.audience)
    stored: str | None = _KEEP
    if attachment:
        stored = _store_attachment(slug, attachment)
    elif data.get("remove_attachment"):
        stored = None
    material, created = _new_version(slug, title, audience, body, actor,
                                     attachment_name=stored)
    if created:
        journal.record(actor, Event.MATERIAL_EDIT, material, slug=slug, version=material.version)
    db.session.flush()
    return material, created


# Loading seed/materials/ ------------------------------------------------------------------------


@dataclass
class MaterialFile:
    slug: str
    title: str
    audience: Audience
    version: int
    body_md: str
    position: int = 100


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (f"Supports : {len(self.created)} créé(s), {len(self.new_versions)} nouvelle(s) "
                f"version(s), {len(self.unchanged)} inchangé(s), {len(self.errors)} en erreur")
        return [head] + [f"  {name} : {message}" for name, message in self.errors]


def parse_material_file(path: Path) -> MaterialFile:
    """Read a Markdown file with a small front matter (slug, title, audience, version, and an
    optional position: the reading order within the audience)."""
    match = _FRONT_MATTER_RE.match(path.read_text(encoding="utf-8").replace("\r\n", "\n"))
    if match is None:
        raise ValueError("en-tête manquant : le fichier doit commencer par « --- » "
                         "(slug, title, audience, version) puis « --- »")
    meta: dict[str, str] = {}
    for number, line in enumerate(match.group(1).splitlines(), start=2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"ligne {number} de l'en-tête illisible : « {line} »")
        meta[key.strip()] = value.strip()
    missing = [key for key in ("slug", "title", "audience") if not meta.get(key)]
    if missing:
        raise ValueError(f"en-tête incomplet, il manque : {', '.join(missing)}")
    try:
        audience = Audience(meta["audience"])
    except ValueError:
        raise ValueError(f"audience « {meta['audience']} » inconnue : tutor, pupil ou "
                         "teacher") from None
    version = meta.get("version", "1")
    if not version.isdigit() or int(version) < 1:
        raise ValueError(f"version « {version} » invalide : un entier à partir de 1")
    if not SLUG_RE.match(meta["slug"]):
        raise ValueError(f"slug « {meta['slug']} » invalide (minuscules, chiffres, tirets)")
    position = meta.get("position", "100")
    if not position.isdigit():
        raise ValueError(f"position « {position} » invalide : un entier (ordre de lecture)")
    return MaterialFile(meta["slug"], meta["title"], audience, int(version), match.group(2),
                        int(position))


def load_materials(directory: Path = MATERIALS_DIR) -> LoadReport:
    """Load every ``*.md`` file with a front matter. Running it twice changes nothing."""
    report = LoadReport()
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            item = parse_material_file(path)
        except ValueError as error:
            report.errors.append((path.name, str(error)))
            continue
        existed = current_material(item.slug) is not None
        material, created = _new_version(item.slug, item.title, item.audience, item.body_md,
                                         None, minimum_version=item.version,
                                         position=item.position)
        if not created:
            report.unchanged.append(item.slug)
            continue
        (report.new_versions if existed else report.created).append(item.slug)
        journal.record(None, Event.MATERIAL_LOAD, material, slug=item.slug,
                       version=material.version, file=path.name)
    db.session.flush()
    return report
