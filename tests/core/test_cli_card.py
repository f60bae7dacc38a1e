"""``card`` and ``cutoff`` from the CLI (issue 16, no dead ends): write the card's fields, export it, and keep a
chosen cut-off that predictions follow. Driven through core.cli.main, as a script would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    return json.loads(lines[0])


def _write(tmp_path: Path, kind: str) -> Path:
    rng = np.random.default_rng(0)
    n = 160
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "z": rng.choice(["a", "b", "c"], n)})
    if kind == "binary":
        frame["y"] = np.where(x + rng.normal(scale=0.8, size=n) > 0, "yes", "no")
    else:
        frame["y"] = 3 * x + rng.normal(size=n)
    path = tmp_path / f"{kind}.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def binary_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = as_json(
        capsys, "train", str(_write(tmp_path, "binary")), "--target", "y", "--name", "risk", "--time-budget", "20"
    )
    return out["model"]["name"]


def test_card_shows_missing_fields_and_how_to_write_them(capsys, binary_model: str) -> None:
    code, out, _ = run(capsys, "card", binary_model)
    assert code == 0
    assert "What is it for? [intended_use]" in out and "(not written yet)" in out
    assert 'python -m core card risk:1 --set intended_use="…"' in out


def test_card_set_writes_fields_and_an_empty_text_clears_one(capsys, binary_model: str) -> None:
    out = as_json(
        capsys, "card", binary_model, "--set", "intended_use=Call customers likely to leave", "--set", "owner=Sam"
    )
    assert out["card"]["intended_use"] == "Call customers likely to leave"
    assert out["card"]["owner"] == "Sam" and out["card"]["notes"] is None
    assert out["updated"] == ["intended_use", "owner"] and "intended_use" not in out["missing"]
    out = as_json(capsys, "card", binary_model, "--set", "owner=")
    assert out["card"]["owner"] is None and out["card"]["intended_use"] == "Call customers likely to leave"
    from core import store

    assert store.resolve_model(binary_model).card == {"intended_use": "Call customers likely to leave"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--set", "purpose=x"), "The model card has no field 'purpose'"),
        (("--set", "no equals sign"), "does not say which field to write"),
        (("--out", "{tmp}/card.pdf"), "as HTML or Markdown"),
    ],
    ids=["unknown-field", "no-equals", "bad-suffix"],
)
def test_card_user_mistakes_exit_2(capsys, binary_model: str, tmp_path: Path, argv: tuple, message: str) -> None:
    code, out, err = run(capsys, "card", binary_model, *(a.format(tmp=tmp_path) for a in argv), "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and "hint:" in err and "Traceback" not in err


def test_card_export_html_holds_what_was_written_and_refuses_to_overwrite(capsys, binary_model, tmp_path) -> None:
    as_json(capsys, "card", binary_model, "--set", "intended_use=Call <customers>", "--set", "notes=Retrain monthly")
    as_json(capsys, "cutoff", binary_model, "0.3")
    target = tmp_path / "card.html"
    out = as_json(capsys, "card", binary_model, "--out", str(target))
    assert out["out"] == str(target)
    html = target.read_text(encoding="utf-8")
    assert "Call &lt;customers&gt;" in html and "Nobody has written the intended use yet" not in html
    assert "Retrain monthly" in html and "answers yes from a chance of 30%" in html
    code, _, err = run(capsys, "card", binary_model, "--out", str(target))
    assert code == 2 and "already exists" in err and "--overwrite" in err
    assert run(capsys, "card", binary_model, "--out", str(target), "--overwrite")[0] == 0


def test_card_export_markdown(capsys, binary_model: str, tmp_path: Path) -> None:
    as_json(capsys, "card", binary_model, "--set", "limitations=Only 2026 customers")
    target = tmp_path / "card.md"
    as_json(capsys, "card", binary_model, "--out", str(target))
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Model card: risk — version 1")
    assert "Only 2026 customers" in text and "_Not written yet._" in text


def test_card_export_inside_keel_home_is_refused(capsys, binary_model: str, keel_home: Path) -> None:
    code, _, err = run(capsys, "card", binary_model, "--out", str(keel_home / "card.html"))
    assert code == 2 and "inside Keel's own folder" in err


def test_cutoff_is_stored_shown_followed_by_predict_and_cleared(capsys, binary_model: str, tmp_path: Path) -> None:
    out = as_json(capsys, "cutoff", binary_model, "0.05", "--reason", "missing a leaver costs more")
    assert out["threshold"] == pytest.approx(0.05) and out["changed"] is True and out["positive_class"] == "yes"
    code, text, _ = run(capsys, "cutoff", binary_model)
    assert code == 0 and "answers 'yes' when its chance of 'yes' is at least 5%" in text
    scored = tmp_path / "scored.csv"
    run(capsys, "predict", binary_model, str(tmp_path / "binary.csv"), "--out", str(scored))
    frame = pd.read_csv(scored)
    assert (frame["prediction"] == "yes").mean() > 0.8  # a low cut-off says yes far more often than half the time
    out = as_json(capsys, "cutoff", binary_model, "--clear")
    assert out["threshold"] is None and "likelier answer" in out["sentence"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("1.5",), "A cut-off must be a chance between 0 and 1"),
        (("0",), "A cut-off must be a chance between 0 and 1"),
        (("half",), "'half' is not a cut-off"),
        (("0.3", "--clear"), "Give a cut-off or --clear, not both"),
    ],
    ids=["above-one", "zero", "not-a-number", "both"],
)
def test_cutoff_user_mistakes_exit_2(capsys, binary_model: str, argv: tuple, message: str) -> None:
    code, out, err = run(capsys, "cutoff", binary_model, *argv, "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and "hint:" in err


def test_cutoff_refused_for_a_model_that_does_not_answer_yes_or_no(capsys, tmp_path: Path) -> None:
    as_json(
        capsys, "train", str(_write(tmp_path, "numbers")), "--target", "y", "--name", "amount", "--time-budget", "20"
    )
    for argv in (("amount", "0.3"), ("amount",)):
        code, _, err = run(capsys, "cutoff", *argv)
        assert code == 2 and "does not answer yes or no" in err and "hint:" in err


def test_unknown_model_is_a_user_error(capsys) -> None:
    for command in ("card", "cutoff"):
        code, _, err = run(capsys, command, "nope")
        assert code == 2 and "No model matches 'nope'" in err
