"""Files larger than memory (issue 19): read once in pieces with exact counts and a seeded random sample; the CLI's
``profile`` and ``drift`` under a real address-space limit (RLIMIT_AS, as ``ulimit -v`` sets it)."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from core.data import fits_in_memory, profile, read_large, read_table
from core.errors import InputError
from core.monitoring import compare

ROOT = Path(__file__).resolve().parents[2]


def _shop(n: int, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "place": np.arange(n),  # the row's place in the file: shows order and uniformity of the sample
        "price": np.round(rng.gamma(2.0, 10.0, n) + shift, 2),
        "units": rng.poisson(3, n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "day": pd.date_range("2024-01-01", periods=n, freq="min").strftime("%Y-%m-%d %H:%M"),
    })
    frame.loc[rng.random(n) < 0.07, "price"] = np.nan
    frame["region"] = frame["region"].astype(object)
    frame.loc[rng.random(n) < 0.03, "region"] = None  # an empty cell
    frame["units"] = frame["units"].astype(object)
    frame.loc[rng.random(n) < 0.02, "units"] = "N/A"  # in a column of numbers, a word that means missing
    return frame


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_file_read_in_pieces_counts_exactly_and_samples_like_the_whole_file(tmp_path: Path, fmt: str) -> None:
    frame = _shop(40_000)
    path = tmp_path / f"shop.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.assign(units=pd.to_numeric(frame["units"], errors="coerce")).to_parquet(path, index=False)
    whole = read_table(path).frame
    large = read_large(path, sample_rows=5_000)
    assert large.rows == len(whole) == 40_000
    assert large.missing == {c: int(whole[c].isna().sum()) for c in whole.columns}  # exact, not estimated
    assert large.missing["price"] > 2_000 and large.missing["region"] > 1_000 and large.missing["units"] > 600
    sample = large.table.frame
    assert len(sample) == large.sample_rows == 5_000
    assert dict(sample.dtypes.astype(str)) == dict(whole.dtypes.astype(str))  # the same kinds as the whole file
    places = sample["place"].to_numpy()
    assert np.all(np.diff(places) > 0)  # in file order
    assert abs(places.mean() - 20_000) < 600 and places.min() < 100 and places.max() > 39_900  # uniform
    again = read_large(path, sample_rows=5_000).table.frame
    pd.testing.assert_frame_equal(sample, again)  # the same sample every time
    assert "5,000 rows" in large.note and "40,000 rows" in large.note


def test_a_sample_as_large_as_the_file_is_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    _shop(3_000).to_csv(path, index=False)
    large = read_large(path, sample_rows=10_000)
    pd.testing.assert_frame_equal(large.table.frame, read_table(path).frame)
    assert large.sample_rows == 3_000


def test_a_file_growing_while_it_is_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "growing.csv"
    _shop(200_000).to_csv(path, index=False)
    stop, wrote = threading.Event(), threading.Event()

    def append() -> None:
        while not stop.is_set():
            with open(path, "a") as fh:
                fh.write("1,2.5,3,north,2024-01-01 00:00\n")
            wrote.set()
            time.sleep(0.002)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        wrote.wait(5)
        with pytest.raises(InputError) as caught:
            read_large(path, sample_rows=1_000)
    finally:
        stop.set()
        writer.join()
    assert "changed while Keel was reading it" in caught.value.message
    assert "copy it" in caught.value.hint


def test_only_csv_and_parquet_are_read_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps({"a": i}) for i in range(50)))
    with pytest.raises(InputError) as caught:
        read_large(path)
    assert "only CSV and Parquet" in caught.value.message


def test_a_small_file_fits_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    _shop(100).to_csv(path, index=False)
    assert fits_in_memory(path)
    wide = tmp_path / "declared.parquet"  # a Parquet file declaring more cells than the reader takes at once
    pq.write_table(pa.table({f"c{i}": pa.nulls(1_100_000, pa.int8()) for i in range(100)}), wide)
    assert not fits_in_memory(wide)


# --------------------------------------------------------------------------- the CLI under a memory limit

LIMIT = 2 * 1024**3


def _limited(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m core`` in a fresh process limited to 2 GB of address space (RLIMIT_AS)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "KEEL_HOME": str(home / "keel"), "HOME": str(home)}
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "ARROW_DEFAULT_MEMORY_POOL"):
        env.pop(name, None)  # Keel sets these itself when it finds a limit

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run([sys.executable, "-m", "core", *args, "--json"], cwd=tmp_path, env=env, preexec_fn=limit,
                          capture_output=True, text=True, timeout=600, check=False)


def _wide(n: int, seed: int, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    columns = {f"x{i}": np.round(rng.normal(shift if i == 0 else 0.0, 1.0, n), 3) for i in range(14)}
    columns |= {f"group{j}": rng.choice(np.array(["north", "south", "east", "west"]), n) for j in range(4)}
    price = np.round(rng.gamma(2.0, 10.0, n), 2)
    columns["price"] = pa.array(np.where(rng.random(n) < 0.05, np.nan, price), from_pandas=True)
    columns["units"] = rng.poisson(3, n)
    return pa.table(columns)


@pytest.mark.slow
def test_profile_and_drift_of_files_too_large_for_the_memory_limit(tmp_path: Path) -> None:
    """2.2M rows × 20 columns (about 270 MB of CSV): read at once it needs more than the 2 GB the process may use,
    so it is read in pieces; the counts are exact and the findings and verdicts are those of the whole file."""
    table = _wide(2_200_000, 1)
    big = tmp_path / "big.csv"
    pacsv.write_csv(table, big)
    moved = tmp_path / "moved.csv"
    pacsv.write_csv(_wide(2_200_000, 2, shift=0.3), moved)

    done = _limited(tmp_path, "profile", "big.csv")
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["rows"] == 2_200_000 and out["sample"]["rows"] == 1_000_000
    whole = read_table(big).frame  # this test's own process has no limit: the whole file, for comparison
    missing = {c["name"]: c["missing_share"] for c in out["columns"]}
    assert missing["price"] == whole["price"].isna().sum() / len(whole) and missing["price"] > 0.04
    expected = profile(whole)
    assert sorted((f["code"], f["column"]) for f in out["findings"] if f["code"] != "outliers") == sorted(
        (f.code, f.column) for f in expected.findings if f.code != "outliers")  # far values are found per sample

    done = _limited(tmp_path, "drift", "big.csv", "moved.csv")
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["samples"]["reference"]["rows"] == 2_200_000
    drifted = {c["column"] for c in out["columns"] if c["drifted"]}
    assert drifted == {"x0"}
    reference = compare(whole, read_table(moved).frame)
    assert drifted == {c.column for c in reference.columns if c.drifted}
    assert out["verdict"] == reference.verdict


# --------------------------------------------------------------------------- predict, a piece at a time


def _cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=home, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "KEEL_HOME": str(home / "keel"), "HOME": str(home), **env},
                          check=False)


@pytest.mark.slow
def test_predict_in_pieces_writes_exactly_what_reading_the_whole_file_writes(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 450_000  # three pieces of 200,000 rows at most
    frame = pd.DataFrame({"price": np.round(rng.gamma(2, 10, n), 2), "units": rng.poisson(3, n),
                          "region": rng.choice(["north", "south", "east"], n)})
    frame["bought"] = np.where(frame["price"] + rng.normal(0, 8, n) > 20, "yes", "no")
    frame.iloc[:3000].to_csv(tmp_path / "train.csv", index=False)
    batch = frame.drop(columns="bought")
    batch.loc[rng.random(n) < 0.01, "price"] = np.nan
    batch.to_csv(tmp_path / "batch.csv", index=False)
    trained = _cli(tmp_path, "train", "train.csv", "--target", "bought", "--name", "shop", "--time-budget", "20",
                   "--json")
    assert trained.returncode == 0, trained.stderr

    whole = _cli(tmp_path, "predict", "shop", "batch.csv", "--out", "whole.csv", "--json")
    pieces = _cli(tmp_path, "predict", "shop", "batch.csv", "--out", "pieces.csv", "--json", KEEL_READ_AT_ONCE_MB="1")
    assert whole.returncode == 0 and pieces.returncode == 0, pieces.stderr
    assert json.loads(pieces.stdout)["rows"] == n
    assert (tmp_path / "pieces.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()

    # a bad value in the last piece is named by its row in the whole file, and nothing is written
    lines = (tmp_path / "batch.csv").read_text().splitlines()
    lines[441_001:] = ["lots,3,north"] * 9000  # data rows 441,001-450,000: too many to be slips in any piece
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    bad = _cli(tmp_path, "predict", "shop", "bad.csv", "--out", "bad_out.csv", KEEL_READ_AT_ONCE_MB="1")
    assert bad.returncode == 2 and "row 441001: 'lots'" in bad.stderr
    assert not (tmp_path / "bad_out.csv").exists() and not list(tmp_path.glob(".bad_out.csv.*"))
    printed = _cli(tmp_path, "predict", "shop", "batch.csv", "--json", KEEL_READ_AT_ONCE_MB="1")
    assert printed.returncode == 2 and "--out" in printed.stderr


def test_a_line_that_cannot_be_read_in_pieces_is_counted_and_said(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    lines = _shop(3_000).to_csv(index=False).splitlines()
    lines.insert(1_500, "1,2.5,3,north,2024-01-01 00:00,an extra value")
    path.write_text("\n".join(lines) + "\n")
    large = read_large(path, sample_rows=1_000)
    assert large.rows == 3_000 and large.bad_lines == 1
    assert large.note.endswith("1 line could not be read as rows (a value too many or too few) and was left out.")
    from core.data import read_in_pieces

    pieces = list(read_in_pieces(path, rows=1_000))
    assert sum(pd.read_csv(__import__("io").BytesIO(data)).shape[0] for data, _, _ in pieces) == 3_000
    assert pieces[-1][2] == 1
