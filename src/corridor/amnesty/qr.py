"""QR codes of certificates: drawn with segno, read with zxing-cpp.

Error correction is at least level M: segno picks the smallest version that
holds the text at M, then raises the level (to Q or H) when the same version
allows, so a code is never larger for being sturdier. The Base45 text with its
``AC1:`` prefix is entirely in QR's alphanumeric set (5.5 bits a character).
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

MIN_ERROR_LEVEL = "M"


class ImageError(ValueError):
    """The file is not an image this reader can open."""


def make(text: str) -> segno.QRCode:
    return segno.make_qr(text, error=MIN_ERROR_LEVEL.lower(), boost_error=True)


def version(text: str) -> int:
    return int(make(text).version)


def png(text: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    make(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def svg_data_uri(text: str) -> str:
    """For the PDF: a vector code that prints sharp at any size."""
    return make(text).svg_data_uri(scale=1, border=4, omitsize=True)


def read(image: bytes) -> list[str]:
    """The texts of every QR code found in a PNG or JPEG (a photograph will do)."""
    try:
        picture = Image.open(io.BytesIO(image))
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ImageError(f"not a PNG or JPEG image ({type(error).__name__})") from None
    if picture.mode not in ("L", "RGB"):
        picture = picture.convert("RGB")
    found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found if code.valid]
