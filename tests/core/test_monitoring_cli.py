"""``monitor`` and ``drift`` on the command line tell the truth every time: the action is the model's state,
a cool-down only silences a repeated alert (and the headline says so), ``--fail-on`` follows the state."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 4)) + shift
    base = rng.normal(0, 1, (n, 4))  # the answer follows the unshifted inputs: error grows when inputs move
    y = np.where(base[:, 0] + 0.5 * base[:, 1] + rng.normal(0, 0.5, n) > 0, "yes", "no")
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "bought": y})


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def trained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    train, batch = tmp_path / "train.csv", tmp_path / "batch.csv"
    _frame(600, 1).to_csv(train, index=False)
    _frame(400, 2, shift=2.0).to_csv(batch, index=False)  # every input moved
    code, out, err = _run(capsys, "train", str(train), "--target", "bought", "--name", "shop", "--time-budget", "20",
                          "--json")
    assert code == 0, err
    return train, batch


def test_a_repeated_drifted_batch_still_calls_for_a_retrain_and_fails_cron_but_raises_no_new_alert(
    trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, batch = trained
    code, out, _ = _run(capsys, "monitor", "shop", str(batch), "--fail-on", "retrain", "--json")
    first = json.loads(out)
    assert code == 3 and first["action"] == "retrain" and first["alerting"] is True
    assert first["headline"] == "Retrain recommended."
    # the same batch again: the model is still as bad, so the state and the exit status stay; the alert is quiet
    code, out, _ = _run(capsys, "monitor", "shop", str(batch), "--fail-on", "retrain", "--json")
    again = json.loads(out)
    assert code == 3, "a cool-down must not make cron think the problem went away"
    assert again["action"] == "retrain" and again["alerting"] is False
    drift_share = next(t for t in again["triggers"] if t["rule"] == "drift_share")
    assert drift_share["fired"] is True and drift_share["alerting"] is False and drift_share["cooling_down"] is True
    assert again["headline"].startswith("Retrain recommended — already reported on ")
    assert again["headline"].endswith(", so no new alert.")
    # --fail-on review is a lower bar: a retrain state passes it too; the text leads with the headline
    code, out, _ = _run(capsys, "monitor", "shop", str(batch), "--fail-on", "review")
    assert code == 3
    assert out.startswith("batch 3: Retrain recommended — already reported on ")
    assert "Still true; already reported on" in out
    code, _, _ = _run(capsys, "monitor", "shop", str(batch))
    assert code == 0  # without --fail-on the exit status stays 0


def test_a_clean_batch_passes_fail_on_review(trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    _frame(400, 3).to_csv(clean, index=False)
    code, out, _ = _run(capsys, "monitor", "shop", str(clean), "--fail-on", "review", "--json")
    result = json.loads(out)
    assert code == 0 and result["action"] == "none" and result["alerting"] is False
    assert result["headline"] == "No action needed."


def test_drift_says_what_the_table_verdict_means(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({c: rng.normal(0, 1, 500) for c in "abcdef"})
    cur = pd.DataFrame({c: rng.normal(0, 1, 500) for c in "abcdef"})
    cur["a"] += 2
    cur["b"] += 2
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    code, out, _ = _run(capsys, "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2 of 6 columns moved (33%), below the 50% share that counts as the whole table drifting."
    assert "dataset drift: no" not in out
    assert lines[1].startswith("  moved: 'a' moved: typical values went from")
    cur[["c", "d"]] += 2
    cur.to_csv(tmp_path / "cur.csv", index=False)
    code, out, _ = _run(capsys, "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--json")
    verdict = json.loads(out)["verdict"]
    assert verdict == (
        "4 of 6 columns moved (67%), at or above the 50% share that counts as the whole table drifting: "
        "the table has drifted."
    )
