"""The printed certificate: one A4 page, Arabic and English, with the QR code.

WeasyPrint lays it out with the Amiri font (Debian's ``fonts-hosny-amiri``),
named in the page's CSS; the tests check that the font is embedded. The page
prints what the code holds and nothing more (no weapons, no desk), so that
what a checkpoint reads from the code and what it reads on paper agree.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from corridor.amnesty import qr
from corridor.amnesty.claims import CertificateKind, Claims
from corridor.amnesty.trust_list import b64url

FONT_FAMILY = "Amiri"
TITLES = {
    CertificateKind.AMNESTY: ("Amnesty certificate", "شهادة عفو"),
    CertificateKind.SAFE_PASSAGE: ("Safe-passage certificate", "شهادة مرور آمن"),
}

_ENV = Environment(
    loader=PackageLoader("corridor.amnesty", "print"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Photo:
    data: bytes
    media_type: str  # image/jpeg or image/png

    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


def certificate_html(
    claims: Claims, qr_text: str, organisation: str, photo: Photo | None = None
) -> str:
    """``organisation``: the issuer's full name (the code holds its short name)."""
    title_en, title_ar = TITLES[claims.kind]
    return _ENV.get_template("certificate.html").render(
        font_family=FONT_FAMILY,
        title_en=title_en,
        title_ar=title_ar,
        claims=claims,
        organisation=organisation,
        certificate_id=b64url(claims.certificate_id),
        day=_day,
        qr_uri=qr.svg_data_uri(qr_text),
        photo_uri=photo.data_uri() if photo else None,
    )


def certificate_pdf(
    claims: Claims, qr_text: str, organisation: str, photo: Photo | None = None
) -> bytes:
    from weasyprint import HTML  # imported when printing: it loads Pango at import

    return HTML(string=certificate_html(claims, qr_text, organisation, photo)).write_pdf()


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
