"""The offline verification page (/verify): the browser's verdicts are the command line's.

A checkpoint officer opens the page once while online; after that the server
may be gone. The app runs as ``corridor serve`` in a child process (as in the
tally screen's test) so that the test can kill it (SIGKILL, as in a power
cut): the page is opened, the server killed, the page reloaded from its service
worker, and then the sample certificate of every verdict (``corridor cert
sample``: certificate.txt, certificate.png, trust-list.json) is verified in the
browser alone, from the photo and from the pasted text, each after loading
that sample's trust list from its file. Each verdict must be exactly what
``corridor cert verify --json`` says for the same files. A trust list whose
payload was changed after signing is refused, visibly, and the one in use
stays; a stale one is flagged as the command line flags it. Last, a few
hundred certificates made to find where two verifiers could differ (claims of
the wrong types, keys written as 1.0 or true, bytes after the zlib stream,
torn texts, foreign keys...) get the Python verifier's verdicts from the
page's bundle too.
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from typer.testing import CliRunner

from corridor.amnesty import base45, codec, samples, trust_list
from corridor.amnesty.verifier import Verdict, Verifier
from corridor.cli import app as cli_app
from corridor.config import Settings
from corridor.crossings.field_clients import corridor_server
from corridor.runtime import Runtime
from corridor.web.app import create_app
from tests.factories import Factory
from tests.web.browser_support import launch_chromium, open_site

pytestmark = pytest.mark.browser

# Waits that depend on the server answering (a busy machine may be slow).
SERVER_WAIT_MS = 20_000
SIGNED = {Verdict.VALID, Verdict.EXPIRED, Verdict.NOT_YET_VALID, Verdict.REVOKED}


@dataclass
class _Address:
    """What ``open_site`` needs of a server: its address."""

    port: int

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class SampleFiles:
    """One sample of ``corridor cert sample`` and what ``corridor cert verify`` says of it."""

    kind: Verdict
    folder: Path
    text: str
    root: str
    by_text: dict[str, Any]  # cert verify --text ... --json
    by_image: dict[str, Any]  # cert verify --image certificate.png ... --json

    @property
    def png(self) -> Path:
        return self.folder / "certificate.png"

    @property
    def trust(self) -> Path:
        return self.folder / "trust-list.json"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, ["cert", *args])
    return result.exit_code, result.stdout


def _cli_verdict(*args: str) -> dict[str, Any]:
    code, out = _cli("verify", *args, "--json")
    assert code in (0, 1), out
    return json.loads(out)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> dict[Verdict, SampleFiles]:
    base = tmp_path_factory.mktemp("samples")
    found = {}
    for kind in Verdict:
        folder = base / kind.value
        sample = samples.make(kind)
        samples.write(sample, folder)
        trust = str(folder / "trust-list.json")
        image = str(folder / "certificate.png")
        text = (folder / "certificate.txt").read_text()
        found[kind] = SampleFiles(
            kind=kind,
            folder=folder,
            text=text.strip(),
            root=sample.root_thumbprint,
            by_text=_cli_verdict("--text", text, "--trust-list", trust),
            by_image=_cli_verdict("--image", image, "--trust-list", trust),
        )
        # Each sample gives the verdict it is named after (else the test proves little).
        assert found[kind].by_text["verdict"] == found[kind].by_image["verdict"] == kind.value
    return found


def _tampered(source: Path, target: Path) -> Path:
    """The trust list with its payload changed after signing: nothing is revoked any more."""
    document = json.loads(source.read_text())
    body = json.loads(trust_list.from_b64url(document["payload"]))
    body["revoked"] = []
    body["keys"]["keys"][0]["iss"] = "someone-else"
    document["payload"] = trust_list.b64url(json.dumps(body, separators=(",", ":")).encode())
    target.write_text(json.dumps(document))
    return target


def _stale(target: Path) -> tuple[Path, str]:
    """A trust list whose next update was due three days ago, and its root's fingerprint."""
    root, key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = trust_list.raw_public(key.public_key())
    now = datetime.now(UTC)
    document = trust_list.build(
        root,
        operation="stale-operation",
        issued_at=now - timedelta(days=10),
        next_update=now - timedelta(days=3),
        keys=[trust_list.SignerKey(trust_list.key_id(public), public, "sample-org")],
        revoked=[],
    )
    target.write_text(json.dumps(document))
    return target, trust_list.thumbprint(trust_list.raw_public(root.public_key()))


def _variants(count: int) -> tuple[str, list[str], datetime]:
    """A trust list, and certificate texts that differ from a valid one in the ways a
    verifier may read differently; signed with the listed key (mostly), so that the
    claims' checks are reached."""
    rng = random.Random(20261202)
    now = datetime.now(UTC).replace(microsecond=0)
    t = int(now.timestamp())
    root, signer, stranger = (Ed25519PrivateKey.generate() for _ in range(3))
    public = trust_list.raw_public(signer.public_key())
    kid = trust_list.key_id(public)
    document = trust_list.build(
        root,
        operation="variants",
        issued_at=now,
        next_update=now + timedelta(days=7),
        keys=[trust_list.SignerKey(kid, public, "org")],
        revoked=[bytes(16)],
    )
    odd = [None, True, 1.5, "", b"", [], {}, 2**40, 253402300800, -1]

    def payload() -> bytes:
        body: dict[str, Any] = {"t": "amnesty", "n": {"ar": "محمد", "la": "M"}, "dob": "1990-03"}
        claims: dict[Any, Any] = {
            1: "org",
            4: t + 86400,
            5: t - 86400,
            6: t - 86400,
            7: rng.choice([bytes(range(16)), bytes(16)]),  # the second is revoked
            -65537: body,
        }
        change = rng.randrange(14)
        if change == 0:
            claims[rng.choice([1, 4, 5, 6, 7, -65537])] = rng.choice(odd)
        elif change == 1:
            body["dob"] = rng.choice(["1990-13", "١٩٩٠-03", "1990-02-31", 1990, None, "1990-3"])
        elif change == 2:
            body["n"] = rng.choice([{}, {"la": ""}, {"la": "x" * 161}, {"ar": None, "la": "y"}])
        elif change == 3:
            body["t"] = rng.choice(["safe_passage", "other", b"amnesty"])
        elif change == 4:
            claims[4], claims[5] = t + 2 * 86400, t + 86400  # not yet valid
        elif change == 5:
            claims[4] = t - 5  # expired
        elif change == 6:
            claims = {float(k) if k in (4, 5) else k: v for k, v in claims.items()}
        elif change == 7:
            claims = {True if k == 1 else k: v for k, v in claims.items()}
        elif change == 8:
            claims[4] = cbor2.CBORTag(2, claims[4].to_bytes(8, "big"))  # a bignum is an int
        elif change == 9:
            claims["extra"] = cbor2.CBORTag(1, 1.5)
        data = cbor2.dumps(claims)
        if change == 10:
            data = b"\xd9\xd9\xf7" + data + b"\x00"  # self-described CBOR; a byte after it
        elif change == 11:
            flipped = bytearray(data)
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            data = bytes(flipped)
        return data

    texts = []
    for _ in range(count):
        data = payload()
        key = rng.choice([signer] * 8 + [stranger])
        protected = cbor2.dumps({1: -8, 4: rng.choice([kid] * 9 + [bytes(8)])})
        signature = key.sign(codec.to_be_signed(protected, data))
        message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, data, signature]))
        deflated = zlib.compress(message, 9)
        damage = rng.randrange(12)
        if damage == 0:
            deflated += b"junk"  # zlib leaves bytes after its stream aside
        elif damage == 1:
            deflated = deflated[:-1]
        elif damage == 2:
            flipped = bytearray(deflated)
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            deflated = bytes(flipped)
        text = codec.PREFIX + base45.encode(deflated)
        if damage == 3:
            text = text[: rng.randrange(len(text))]
        elif damage == 4:
            text = " \x1c" + text + "\n\x85"  # Python's str.strip() takes these off
        elif damage == 5:
            text = "\ufeff" + text  # ... but not this
        texts.append(text)
    return json.dumps(document), texts, now


@pytest.fixture
def operation_slug(factory: Factory) -> str:
    return factory.operation(factory.organisation()).slug


def _connection_refused_only(problems: list[str]) -> None:
    """What the browser may see with the server gone: its tries to reach it, nothing else."""
    assert all("ERR_CONNECTION_REFUSED" in p for p in problems), problems


def _checks(result: Locator) -> int:
    return int(result.get_attribute("data-checks") or "0")


def _load_trust_list(page: Page, path: Path) -> None:
    page.locator('[data-role="trust-file"]').set_input_files(str(path))


def _assert_shown(page: Page, files: SampleFiles, expected: dict[str, Any]) -> None:
    """The page's verdict is the command line's; the holder is shown exactly when signed."""
    result = page.locator('[data-role="result"]')
    verdict = result.get_attribute("data-verdict")
    assert verdict == expected["verdict"], (files.kind, result.inner_text())
    expect(page.locator(f'.verify-verdict[data-verdict="{verdict}"]')).to_be_visible()
    holder = page.locator('[data-role="holder"]')
    if Verdict(verdict) in SIGNED:
        certificate = expected["certificate"]
        expect(holder).to_be_visible()
        expect(holder.locator('[data-field="name-arabic"]')).to_have_text(
            certificate["name_arabic"]
        )
        expect(holder.locator('[data-field="name-latin"]')).to_have_text(certificate["name_latin"])
        expect(holder.locator('[data-field="birth-date"]')).to_have_text(certificate["birth_date"])
        expect(holder.locator('[data-field="certificate-id"]')).to_have_text(
            expected["certificate_id"]
        )
        expect(holder.locator('[data-field="issuer"]')).to_contain_text(expected["signer"])
        expect(holder.locator('[data-field="valid-until"]')).to_have_text(
            certificate["valid_until"][:16].replace("T", " ") + " UTC"
        )
    else:
        assert "certificate" not in expected
        expect(holder).to_be_hidden()
        assert holder.locator('[data-field="name-latin"]').inner_text() == ""


def _trust_list_shown(page: Page, files: SampleFiles) -> None:
    """The trust list in use: its root fingerprint and issue time, as the command line reads it."""
    trust = page.locator('[data-role="trust"]')
    expect(trust).to_have_attribute("data-root", files.root)
    expect(trust).to_have_attribute("data-trust-state", "loaded")
    expect(trust.locator('[data-field="root"]')).to_have_text(files.by_text["trust_list_root"])
    issued = files.by_text["trust_list_issued_at"]  # 2026-12-02T10:00:00Z
    expect(trust.locator('[data-field="issued-at"]')).to_have_text(
        issued[:16].replace("T", " ") + " UTC"
    )
    assert trust.get_attribute("data-stale") == str(files.by_text["trust_list_stale"]).lower()
    expect(page.locator('[data-role="trust-error"]')).to_be_hidden()


def test_verify_page_is_public_and_translated(runtime: Runtime) -> None:
    app = create_app(runtime=runtime, start_jobs=False)
    with TestClient(app) as client:
        page = client.get("/verify")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "private, no-cache"
        assert "data-verify" in page.text and "/static/build/verify.js" in page.text
        messages = json.loads(
            page.text.split("data-verify-messages>", 1)[1].split("</script>", 1)[0]
        )
        for verdict in Verdict:
            assert messages[f"verdict_{verdict.value}"] and messages[f"explain_{verdict.value}"]
        # The only inline scripts are JSON (the Content-Security-Policy forbids any other).
        assert page.text.count("<script") == page.text.count("<script src=") + 1
        worker = client.get("/verify-sw.js")
        assert worker.status_code == 200
        assert worker.headers["content-type"].startswith("text/javascript")
        config = json.loads(worker.text.split("self.CORRIDOR_VERIFY = ", 1)[1].split(";\n", 1)[0])
        assert "/static/build/verify.js" in config["assets"] and config["version"]

        arabic = client.get("/verify", headers={"Accept-Language": "ar"})
        assert 'dir="rtl"' in arabic.text
        assert "Verify a certificate" not in arabic.text
        translated = json.loads(
            arabic.text.split("data-verify-messages>", 1)[1].split("</script>", 1)[0]
        )
        assert translated["verdict_valid"] != messages["verdict_valid"]


def test_verdicts_offline_are_the_command_lines(
    chromium: Browser,
    settings: Settings,
    sample_files: dict[Verdict, SampleFiles],
    operation_slug: str,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    tampered = _tampered(sample_files[Verdict.REVOKED].trust, tmp_path / "tampered.json")
    code, _out = _cli("verify", "--text", "AC1:", "--trust-list", str(tampered))
    assert code == 2  # the command line refuses it too
    stale, stale_root = _stale(tmp_path / "stale.json")
    stale_cli = _cli_verdict("--text", sample_files[Verdict.VALID].text, "--trust-list", str(stale))
    assert stale_cli["trust_list_stale"] is True

    with corridor_server(
        database_url=settings.effective_database_url,
        data_dir=settings.data_dir,
        extra_env={"CORRIDOR_RUN_JOBS": "false"},
    ) as server:
        site = open_site(chromium, _Address(server.port))  # type: ignore[arg-type]
        page = site.page
        root = page.locator("[data-verify]")
        result = page.locator('[data-role="result"]')
        trust = page.locator('[data-role="trust"]')
        status = page.locator('[data-role="trust-status"]')
        try:
            # The operation's trust list as the server publishes it.
            url = server.base_url + f"/trust/{operation_slug}/trust-list.json"
            with urllib.request.urlopen(url, timeout=30) as answer:
                published = trust_list.load(answer.read())

            # --- Online: the page fetches the operation's trust list and keeps it.
            site.goto(f"/verify?operation={operation_slug}")
            expect(root).to_have_attribute("data-verify-state", "ready", timeout=SERVER_WAIT_MS)
            expect(root).to_have_attribute("data-offline-ready", "true", timeout=SERVER_WAIT_MS)
            expect(trust).to_have_attribute("data-root", published.root_thumbprint)
            expect(status).to_contain_text("Fetched from the server")
            expect(trust.locator('[data-field="operation"]')).to_have_text(operation_slug)

            # --- The server goes away: the page opens again from its service worker,
            # with the trust list kept on the device.
            server.kill()
            response = page.reload()
            assert response is not None and response.from_service_worker
            expect(root).to_have_attribute("data-verify-state", "ready")
            expect(trust).to_have_attribute("data-root", published.root_thumbprint)
            expect(status).to_contain_text("the trust list kept on this device is used")
            _connection_refused_only(site.guard.problems())
            site.guard.clear()

            for kind, files in sample_files.items():
                _load_trust_list(page, files.trust)
                _trust_list_shown(page, files)

                before = _checks(result)
                page.locator('[data-role="photo"]').set_input_files(str(files.png))
                expect(result).to_have_attribute("data-checks", str(before + 1))
                expect(result).to_have_attribute("data-source", "photo")
                _assert_shown(page, files, files.by_image)

                page.locator('[data-role="text"]').fill(files.text)
                page.get_by_role("button", name="Verify the text").click()
                expect(result).to_have_attribute("data-checks", str(before + 2))
                expect(result).to_have_attribute("data-source", "text")
                _assert_shown(page, files, files.by_text)
                assert kind.value == result.get_attribute("data-verdict")

            # --- A trust list altered after signing is refused, visibly; the one in use stays.
            revoked = sample_files[Verdict.REVOKED]
            _load_trust_list(page, revoked.trust)
            _trust_list_shown(page, revoked)
            _load_trust_list(page, tampered)
            error = page.locator('[data-role="trust-error"]')
            expect(error).to_be_visible()
            expect(error).to_contain_text("signature does not verify")
            expect(trust).to_have_attribute("data-trust-error", "bad_signature")
            expect(trust).to_have_attribute("data-root", revoked.root)
            before = _checks(result)
            page.locator('[data-role="text"]').fill(revoked.text)
            page.get_by_role("button", name="Verify the text").click()
            expect(result).to_have_attribute("data-checks", str(before + 1))
            assert result.get_attribute("data-verdict") == "revoked"  # not the tampered list's

            # --- A stale trust list is used, and flagged as the command line flags it.
            _load_trust_list(page, stale)
            expect(trust).to_have_attribute("data-root", stale_root)
            expect(trust).to_have_attribute("data-stale", "true")
            expect(page.locator('[data-role="trust-stale"]')).to_be_visible()
            before = _checks(result)
            page.locator('[data-role="text"]').fill(sample_files[Verdict.VALID].text)
            page.get_by_role("button", name="Verify the text").click()
            expect(result).to_have_attribute("data-checks", str(before + 1))
            assert result.get_attribute("data-verdict") == stale_cli["verdict"]

            # --- Many more certificates, through the page's bundle: the Python verdicts.
            document, texts, now = _variants(300)
            verifier = Verifier(trust_list.load(document))
            expected = [verifier.verify(text, now).verdict.value for text in texts]
            assert set(expected) == {v.value for v in Verdict}
            found = page.evaluate(
                """async ([document, texts, now]) => {
                    const { loadTrustList, verifyCertificate } = window.corridorVerify;
                    const list = await loadTrustList(document);
                    const verdicts = [];
                    for (const text of texts) {
                        verdicts.push((await verifyCertificate(list, text, now)).verdict);
                    }
                    return verdicts;
                }""",
                [document, texts, int(now.timestamp() * 1000)],
            )
            differ = [(v, f, t) for v, f, t in zip(expected, found, texts, strict=True) if v != f]
            assert not differ, differ[:5]

            # The page kept the last trust list: a reload without the server still has it.
            page.reload()
            expect(root).to_have_attribute("data-verify-state", "ready")
            expect(trust).to_have_attribute("data-root", stale_root)
            expect(status).to_contain_text("the trust list kept on this device is used")
            # No other host, no page error, no console error but the tries to reach the server.
            _connection_refused_only(site.guard.problems())
        except BaseException:
            site.screenshot("browser-failed-verify.png")
            print("the browser saw:", site.guard.problems())  # shown when the test fails
            raise
        finally:
            site.close()
    assert time.monotonic() - started < 60
