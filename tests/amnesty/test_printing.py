"""The printed certificate: one page, Amiri embedded, and its code reads back."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from corridor.amnesty import printing, samples
from corridor.amnesty.qr import read
from corridor.amnesty.trust_list import load
from corridor.amnesty.verifier import Verdict, Verifier


def test_the_pdf_page_photographed_verifies_offline(tmp_path: Path) -> None:
    sample = samples.make(Verdict.VALID)
    photo = printing.Photo(Path(__file__).with_name("holder.jpg").read_bytes(), "image/jpeg")
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(
        printing.certificate_pdf(sample.claims, sample.text, samples.SAMPLE_ORGANISATION, photo)
    )
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    amiri = [line for line in fonts.splitlines() if "Amiri" in line]
    assert amiri and all(" yes " in line for line in amiri)  # embedded
    subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png")).read_bytes()
    texts = read(page)
    assert texts == [sample.text]
    result = Verifier(load(json.dumps(sample.trust_list))).verify(texts[0], datetime.now(UTC))
    assert result.verdict is Verdict.VALID
    # As a phone would take it: low resolution, askew, JPEG.
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "low")], check=True)
    with Image.open(next(tmp_path.glob("low*.png"))) as low:
        askew = low.convert("RGB").rotate(7, expand=True, fillcolor=(230, 230, 225))
    photo_file = io.BytesIO()
    askew.save(photo_file, "JPEG", quality=55)
    assert read(photo_file.getvalue()) == [sample.text]


def test_the_page_shows_what_the_code_holds_and_nothing_else() -> None:
    sample = samples.make(Verdict.VALID)
    html = printing.certificate_html(sample.claims, sample.text, samples.SAMPLE_ORGANISATION)
    for shown in (
        samples.HOLDER_ARABIC,
        samples.HOLDER_LATIN,
        samples.HOLDER_BIRTH,
        samples.SAMPLE_ORGANISATION,
        "شهادة عفو",
    ):
        assert shown in html
    assert "Amiri" in html
