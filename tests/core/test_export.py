"""export (issue 20): a script or notebook that reruns a model's training and evaluation through core's public
API and prints the hold-out metrics Keel stored for it, to 1e-9."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def _cli(*args: str, home: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=cwd, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KEEL_HOME": str(home)},
    )  # fmt: skip


def _train(path: Path, target: str, home: Path) -> dict:
    proc = _cli("train", str(path), "--target", target, "--time-budget", "600", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _same_metrics(printed: dict, stored: dict) -> None:
    assert set(printed) == set(stored)
    for key, value in stored.items():
        if value is None:
            assert printed[key] is None, key
        else:
            assert abs(printed[key] - value) <= 1e-9, (key, printed[key], value)


@pytest.fixture
def churn_file(tmp_path: Path) -> Path:
    """The churn sample, smaller (it keeps its e-mail column: personal data is masked before it is stored)."""
    path = tmp_path / "churn.csv"
    pd.read_csv(DATA / "customer_churn.csv").sample(700, random_state=0).to_csv(path, index=False)
    return path


def test_an_exported_script_reproduces_the_hold_out_metrics(keel_home: Path, tmp_path: Path, churn_file) -> None:
    trained = _train(churn_file, "churned", keel_home)
    script = tmp_path / "out" / "rerun.py"
    script.parent.mkdir()
    proc = _cli("export", str(trained["model"]["id"]), "--script", str(script), "--json", home=keel_home)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["out"] == str(script)
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    _same_metrics(json.loads(run.stdout.strip().splitlines()[-1]), trained["metrics"])


@pytest.mark.parametrize("sample", ["penguins", "churn"])
def test_an_exported_notebook_runs_headless_and_reproduces_the_metrics(
    keel_home: Path, tmp_path: Path, churn_file: Path, sample: str
) -> None:
    from nbclient import NotebookClient

    path, target = (DATA / "penguins.csv", "species") if sample == "penguins" else (churn_file, "churned")
    trained = _train(path, target, keel_home)
    book = tmp_path / "rerun.ipynb"
    proc = _cli("export", str(trained["model"]["id"]), "--notebook", str(book), home=keel_home)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(book, as_version=4)
    assert [c.cell_type for c in nb.cells[:2]] == ["markdown", "code"]
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    last = [o for o in nb.cells[-1].outputs if o.get("name") == "stdout"][-1]["text"].strip().splitlines()[-1]
    _same_metrics(json.loads(last), trained["metrics"])


def test_export_refuses_what_it_must(keel_home: Path, tmp_path: Path) -> None:
    _train(DATA / "penguins.csv", "species", keel_home)
    existing = tmp_path / "taken.py"
    existing.write_text("mine")
    cases = [
        (("export", "1", "--script", str(existing)), "already exists"),
        (("export", "1", "--script", str(keel_home / "x.py")), "inside Keel's own folder"),
        (("export", "7", "--script", str(tmp_path / "a.py")), "No model matches"),
        (("export", "1"), "one of the arguments --notebook --script is required"),
    ]
    for args, message in cases:
        proc = _cli(*args, "--json", home=keel_home)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "hint:" in proc.stderr, proc.stderr
        assert proc.stdout == ""
    assert existing.read_text() == "mine"
    ok = _cli("export", "1", "--script", str(existing), "--overwrite", home=keel_home)
    assert ok.returncode == 0 and "train.train(" in existing.read_text()
    from core import store

    store.delete_model(1, home=keel_home)  # an export of a deleted model
    gone = _cli("export", "1", "--script", str(tmp_path / "b.py"), "--json", home=keel_home)
    assert gone.returncode == 2 and "error:" in gone.stderr and "hint:" in gone.stderr and gone.stdout == "", (
        gone.stderr
    )


def test_a_retrained_version_exports_its_own_data_and_reproduces_its_own_metrics(keel_home: Path, tmp_path: Path) -> None:
    """Version 2 from a retrain learned from a new dataset version (the old rows plus a labelled batch): its export
    reads that version, not the first one's, and prints version 2's hold-out metrics."""
    from core import store, workflows
    from core.models import export_content, export_model

    frame = pd.read_csv(DATA / "penguins.csv").sample(frac=1.0, random_state=0).reset_index(drop=True)
    first = store.save_dataset(frame.iloc[:240], "penguins, first rows")
    v1 = workflows.train_and_register(first.id, target="species", time_budget_s=60).model
    v2 = workflows.retrain_with_gate(v1.id, frame.iloc[240:], time_budget_s=60).challenger
    assert (v2.name, v2.version) == (v1.name, 2) and v2.dataset_id != v1.dataset_id
    script = tmp_path / "v2.py"
    out = export_model(f"{v2.name}:2", script=script)
    assert out["model"] == f"{v2.name}:2" and out["dataset_id"] == v2.dataset_id
    assert f"DATASET_ID = {v2.dataset_id!r}" in script.read_text()
    assert export_content(v2.id, "script") == script.read_bytes()  # the download is the same file
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    _same_metrics(json.loads(run.stdout.strip().splitlines()[-1]), store.get_model(v2.id).metrics)


def test_export_content_makes_a_notebook_in_memory_and_refuses_another_kind(keel_home: Path) -> None:
    from core import store, workflows
    from core.errors import InputError
    from core.models import export_content

    info = store.save_dataset(pd.read_csv(DATA / "penguins.csv"), "penguins")
    model = workflows.train_and_register(info.id, target="species", time_budget_s=30).model
    book = nbformat.reads(export_content(model.id, "notebook").decode("utf-8"), as_version=4)
    assert "train.train(" in "".join(c.source for c in book.cells if c.cell_type == "code")
    with pytest.raises(InputError, match="a notebook or a script, not 'pdf'"):
        export_content(model.id, "pdf")
    assert not list(Path(keel_home).rglob("*.ipynb")) and not list(Path(keel_home).rglob("*.py"))  # nothing written


def test_an_exported_forecast_reruns_and_prints_the_kept_backtest(keel_home: Path, tmp_path: Path) -> None:
    from core import store, workflows
    from core.data import read_table

    frame = read_table(DATA / "shop_calendar.csv").frame
    dataset = store.save_dataset(frame, "shop calendar")
    ids = tuple(sorted(frame["product"].astype(str).unique())[:2])
    forecast_id, _ = workflows.run_forecast(
        dataset.id, date="date", value="units_sold", id="product", ids=ids, horizon=14, holidays="GB-ENG"
    )
    script = tmp_path / "rerun_forecast.py"
    proc = _cli("export", "--forecast", str(forecast_id), "--script", str(script), "--json", home=keel_home)
    assert proc.returncode == 0, proc.stderr
    kept = json.loads(proc.stdout)["scores"]
    assert set(kept) == set(ids) and all(v["model"] and v["mase"] is not None for v in kept.values())
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(printed) == set(kept)
    for series, scores in kept.items():
        assert printed[series]["model"] == scores["model"]
        for key, value in scores.items():
            if isinstance(value, float):
                assert abs(printed[series][key] - value) <= 1e-9, (series, key)
    # neither a model nor a forecast, or both: said plainly
    neither = _cli("export", "--script", str(tmp_path / "x.py"), home=keel_home)
    assert neither.returncode == 2 and "Say which model or which forecast" in neither.stderr
    missing = _cli("export", "--forecast", "999", "--script", str(tmp_path / "y.py"), home=keel_home)
    assert missing.returncode == 2 and "no forecast with id 999" in missing.stderr


def test_an_exported_family_forecast_reruns_the_reconciliation(keel_home: Path, tmp_path: Path) -> None:
    from core import store, workflows
    from core.data import read_table

    frame = read_table(DATA / "shop_calendar.csv").frame
    dataset = store.save_dataset(frame, "shop calendar")
    forecast_id, result, families = workflows.run_forecast(
        dataset.id, date="date", value="units_sold", id="product", horizon=14, family="category"
    )
    assert result is families.products and store.get_forecast(forecast_id).params["family"] == "category"
    script = tmp_path / "rerun_family.py"
    proc = _cli("export", "--forecast", str(forecast_id), "--script", str(script), "--json", home=keel_home)
    assert proc.returncode == 0, proc.stderr
    assert "forecast_families(" in script.read_text()
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KEEL_HOME": str(keel_home)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout.strip().splitlines()[-1])
    kept = json.loads(proc.stdout)["scores"]
    assert set(printed) == set(kept) and len(kept) == 6
    for series, scores in kept.items():
        assert printed[series]["model"] == scores["model"]
        assert abs(printed[series]["mase"] - scores["mase"]) <= 1e-9, series
