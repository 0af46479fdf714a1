"""``corridor cert sample`` and ``corridor cert verify``: the checkpoint contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corridor.amnesty.verifier import Verdict
from corridor.cli import app

KINDS = [v.value for v in Verdict]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["cert", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("samples")
    for kind in KINDS:
        code, out, err = run("sample", "--out", str(root / kind), "--kind", kind)
        assert code == 0, err
        assert "root key fingerprint:" in out
    return root


@pytest.mark.parametrize("kind", KINDS)
def test_each_sample_gives_its_verdict_from_the_image_and_the_text(
    samples: Path, kind: str
) -> None:
    folder = samples / kind
    assert sorted(p.name for p in folder.iterdir()) == [
        "certificate.pdf",
        "certificate.png",
        "certificate.txt",
        "trust-list.json",
    ]
    trust = str(folder / "trust-list.json")
    text = (folder / "certificate.txt").read_text().strip()
    for source in (["--image", str(folder / "certificate.png")], ["--text", text]):
        code, out, _ = run("verify", *source, "--trust-list", trust, "--json")
        answer = json.loads(out)
        assert answer["verdict"] == kind
        assert code == (0 if kind == "valid" else 1)
        issued = json.loads(
            __import__("base64").urlsafe_b64decode(
                json.loads((folder / "trust-list.json").read_text())["payload"] + "=="
            )
        )["issued_at"]
        assert answer["trust_list_issued_at"] == issued
        if kind == "malformed":
            assert answer["certificate_id"] is None
        else:
            assert len(answer["certificate_id"]) == 22  # 16 random bytes in base64url


def test_human_output_names_the_holder_only_when_signed(samples: Path) -> None:
    folder = samples / "valid"
    code, out, _ = run(
        "verify",
        "--image",
        str(folder / "certificate.png"),
        "--trust-list",
        str(folder / "trust-list.json"),
    )
    assert code == 0 and out.startswith("VALID") and "Al-Khatib" in out
    folder = samples / "unknown_signer"
    code, out, _ = run(
        "verify",
        "--image",
        str(folder / "certificate.png"),
        "--trust-list",
        str(folder / "trust-list.json"),
    )
    assert code == 1 and out.startswith("UNKNOWN_SIGNER") and "Al-Khatib" not in out


def test_at_moves_the_clock_and_reports_a_stale_trust_list(samples: Path) -> None:
    folder = samples / "valid"
    args = ["verify", "--text", (folder / "certificate.txt").read_text(), "--trust-list"]
    code, out, _ = run(
        *args, str(folder / "trust-list.json"), "--at", "2099-01-01T00:00:00Z", "--json"
    )
    answer = json.loads(out)
    assert (code, answer["verdict"], answer["trust_list_stale"]) == (1, "expired", True)
    code, out, _ = run(*args, str(folder / "trust-list.json"), "--at", "2000-01-01", "--json")
    assert json.loads(out)["verdict"] == "not_yet_valid"


def test_an_image_without_a_code_is_malformed(samples: Path, tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    code, out, _ = run(
        "verify",
        "--image",
        str(blank),
        "--trust-list",
        str(samples / "valid" / "trust-list.json"),
        "--json",
    )
    assert code == 1 and json.loads(out)["verdict"] == "malformed"


def _tampered_trust_list(samples: Path, tmp_path: Path) -> Path:
    document = json.loads((samples / "valid" / "trust-list.json").read_text())
    document["payload"] = document["payload"][:-2] + (
        "AA" if document["payload"][-2:] != "AA" else "BB"
    )
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    "problem",
    [
        "missing",
        "not json",
        "tampered",
        "wrong root",
        "both sources",
        "no source",
        "bad at",
        "bad image",
    ],
)
def test_usage_errors_and_unreadable_trust_lists_exit_2(
    samples: Path, tmp_path: Path, problem: str
) -> None:
    folder = samples / "valid"
    trust = str(folder / "trust-list.json")
    text = (folder / "certificate.txt").read_text()
    args = {
        "missing": ["--text", text, "--trust-list", str(tmp_path / "none.json")],
        "not json": ["--text", text, "--trust-list", str(folder / "certificate.txt")],
        "tampered": ["--text", text, "--trust-list", str(_tampered_trust_list(samples, tmp_path))],
        "wrong root": ["--text", text, "--trust-list", trust, "--root", "x" * 43],
        "both sources": [
            "--text",
            text,
            "--image",
            str(folder / "certificate.png"),
            "--trust-list",
            trust,
        ],
        "no source": ["--trust-list", trust],
        "bad at": ["--text", text, "--trust-list", trust, "--at", "yesterday"],
        "bad image": ["--image", str(folder / "certificate.txt"), "--trust-list", trust],
    }[problem]
    code, out, err = run("verify", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: --") or err.startswith("error: give exactly one")
    assert len(err.strip().splitlines()) == 1


def test_a_pinned_root_is_accepted(samples: Path) -> None:
    folder = samples / "revoked"
    code, out, _ = run("sample", "--out", str(folder.parent / "pinned"))
    root = out.strip().splitlines()[-1].split(": ")[1]
    pinned = folder.parent / "pinned"
    code, out, _ = run(
        "verify",
        "--text",
        (pinned / "certificate.txt").read_text(),
        "--trust-list",
        str(pinned / "trust-list.json"),
        "--root",
        root,
    )
    assert code == 0


def test_an_unknown_sample_kind_exits_2(tmp_path: Path) -> None:
    code, _, err = run("sample", "--out", str(tmp_path), "--kind", "forged")
    assert code == 2 and "--kind" in err
