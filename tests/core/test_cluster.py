"""forecast, predict and drift with --cluster: the per-series (per-chunk, per-column) work on a real Dask cluster (a `dask scheduler` and two `dask worker`
processes on loopback, in the test's temporary folder) gives exactly the local result; an unreachable scheduler,
a wrong address, a worker without Keel (a separate venv that cannot import it) or with another version of it, and a
scheduler killed mid-job are plain errors (exit 2), never a traceback, a hang or a partial result."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.sandbox import sandbox_env

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).parent / "dask")


def cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=sandbox_env(KEEL_HOME=str(home), **env))


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def dask_cluster(folder: Path, odd: dict[str, tuple[str, dict[str, str]]] | None = None,
                 ) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A Dask scheduler and two workers, every port on 127.0.0.1, files in ``folder``; all stopped afterwards.
    ``odd``: a worker's name (w1, w2) -> the Python it runs on and its environment, started in ``folder`` (not in
    the project) to play a machine set up otherwise."""
    info = folder / "scheduler.json"
    env = sandbox_env()
    odd = odd or {}
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
             "--scheduler-file", str(info)], cwd=folder, env=env, stdout=subprocess.DEVNULL,
            stderr=(folder / "scheduler.log").open("wb")))
        deadline = time.monotonic() + 60
        while not (info.exists() and info.stat().st_size):
            assert time.monotonic() < deadline and procs[0].poll() is None, (folder / "scheduler.log").read_text()
            time.sleep(0.2)
        for name in ("w1", "w2"):
            python, worker_env = odd.get(name, (None, env))
            start = [python, "-m", "distributed.cli.dask_worker"] if python else [DASK, "worker"]
            procs.append(subprocess.Popen(
                [*start, "--scheduler-file", str(info), "--host", "127.0.0.1", "--dashboard-address",
                 "127.0.0.1:0", "--nthreads", "1", "--nworkers", "1", "--name", name,
                 "--local-directory", str(folder / name)], cwd=folder if python else ROOT, env=worker_env,
                stdout=subprocess.DEVNULL, stderr=(folder / f"{name}.log").open("wb")))
        address = json.loads(info.read_text())["address"]
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, procs
    finally:
        _stop(procs[::-1])


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("dask")) as (address, _):
        yield address


def kill_tree(pid: int) -> None:
    """SIGKILL a `dask worker` and the worker process its nanny started (as a machine dying would)."""
    import psutil

    parent = psutil.Process(pid)
    for proc in [*parent.children(recursive=True), parent]:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


def sales_file(folder: Path, products: int = 4) -> Path:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=150, freq="D")
    frames = [pd.DataFrame({"date": days, "product": f"p{i}",
                            "units": rng.poisson(20 + 5 * (i % 7) + 8 * (days.day_of_week >= 5))})
              for i in range(products)]
    path = folder / "sales.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_forecast_on_the_cluster_equals_the_local_forecast(scheduler: str, tmp_path: Path) -> None:
    path = sales_file(tmp_path)
    args = ("forecast", str(path), "--date", "date", "--value", "units", "--id", "product", "--horizon", "14",
            "--json")
    local = cli(tmp_path / "keel_home", *args)
    remote = cli(tmp_path / "keel_home", *args, "--cluster", scheduler)
    from_env = cli(tmp_path / "keel_home", *args, KEEL_DASK_SCHEDULER=scheduler)
    for done in (local, remote, from_env):
        assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(d.stdout) for d in (local, remote, from_env)]
    for result in results:
        result.pop("elapsed_seconds", None)
    assert len(results[0]["series"]) == 4
    assert results[1] == results[0] and results[2] == results[0]  # the same numbers, to the last digit


@pytest.mark.slow
def test_predict_on_the_cluster_writes_the_same_file(scheduler: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from core.models.registry import register
    from core.models.train import train
    from tests.core.test_train import make_churn

    home = tmp_path / "keel_home"
    monkeypatch.setenv("KEEL_HOME", str(home))
    register(train(make_churn(200), "churn", time_budget_s=20, candidates=("logistic_regression",)), "churn", None)
    big = make_churn(60_001, seed=3).drop(columns=["churn", "cancel_code"])  # two chunks of 50,000 rows at most
    path = tmp_path / "new.csv"
    big.to_csv(path, index=False)
    local = cli(home, "predict", "churn", str(path), "--out", str(tmp_path / "local.csv"))
    remote = cli(home, "predict", "churn", str(path), "--out", str(tmp_path / "remote.csv"), "--cluster", scheduler)
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr[-2000:]
    assert (tmp_path / "remote.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    nowhere = cli(home, "predict", "churn", str(path), "--out", str(tmp_path / "x.csv"), "--cluster",
                  f"tcp://127.0.0.1:{closed_port()}")
    assert nowhere.returncode == 2 and "cannot reach the Dask scheduler" in nowhere.stderr  # it did go out


@pytest.mark.slow
def test_drift_on_the_cluster_equals_the_local_comparison(scheduler: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 3000
    reference = pd.DataFrame({"price": rng.normal(10, 2, n), "plan": rng.choice(["a", "b", "c"], n),
                              "member": rng.choice([True, False], n), "visits": rng.poisson(3, n)})
    current = reference.assign(price=rng.normal(11, 2, n), plan=rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]))
    reference.to_csv(tmp_path / "reference.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    args = ("drift", str(tmp_path / "reference.csv"), str(tmp_path / "current.csv"), "--json")
    local = cli(tmp_path / "keel_home", *args)
    remote = cli(tmp_path / "keel_home", *args, "--cluster", scheduler)
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr[-2000:]
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert json.loads(local.stdout)["dataset_drift"] in (True, False)


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_plain_error(tmp_path: Path) -> None:
    port = closed_port()
    path = sales_file(tmp_path)
    done = cli(tmp_path / "keel_home", "forecast", str(path), "--date", "date", "--value", "units", "--id",
               "product", "--horizon", "7", "--cluster", f"tcp://127.0.0.1:{port}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: Keel cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in done.stderr
    assert "hint: Check that `dask scheduler` is running there" in done.stderr


def test_a_wrong_address_is_a_plain_error(tmp_path: Path) -> None:
    path = sales_file(tmp_path)
    done = cli(tmp_path / "keel_home", "forecast", str(path), "--date", "date", "--value", "units", "--id",
               "product", "--horizon", "7", "--cluster", "scheduler.example:8786")
    assert done.returncode == 2
    assert "error: 'scheduler.example:8786' is not a Dask scheduler address." in done.stderr
    assert "hint: Write it as tcp://HOST:PORT" in done.stderr


@pytest.mark.slow
def test_a_worker_killed_mid_forecast_still_gives_the_whole_result(tmp_path: Path) -> None:
    path = sales_file(tmp_path, products=120)
    args = ["forecast", str(path), "--date", "date", "--value", "units", "--id", "product", "--horizon", "7",
            "--json"]
    local = cli(tmp_path / "keel_home", *args)
    assert local.returncode == 0, local.stderr[-2000:]
    (tmp_path / "dask").mkdir()
    with dask_cluster(tmp_path / "dask") as (address, procs):
        job = subprocess.Popen([sys.executable, "-m", "core", *args, "--cluster", address], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=sandbox_env(KEEL_HOME=str(tmp_path / "keel_home")))
        try:
            assert job.stderr is not None
            for line in job.stderr:  # the work is under way on the cluster: kill one worker (and its nanny)
                if "series done" in line:
                    kill_tree(procs[2].pid)
                    break
            out, err = job.communicate(timeout=600)
        finally:
            if job.poll() is None:
                job.kill()
                job.wait()
    assert job.returncode in (0, 2), err[-2000:]
    if job.returncode == 2:  # a clear error, never a partial result
        assert "error: The Dask cluster" in err and out == ""
        return
    remote, expected = json.loads(out), json.loads(local.stdout)
    remote.pop("elapsed_seconds", None)
    expected.pop("elapsed_seconds", None)
    assert len(remote["series"]) == 120 and remote == expected


def keel_less_python(folder: Path) -> str:
    """A Python like a worker machine's without Keel: a fresh venv that sees this venv's libraries (pandas,
    distributed, …) through a path file, but not the editable install of Keel (that venv's own path files are not
    read) and not the project's folder. Returns its interpreter; proves first that ``import core`` fails there."""
    import sysconfig
    import venv

    venv.create(folder / "venv", with_pip=False)
    python = folder / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([str(python), "-c", "import distributed\nimport core"], cwd=folder, capture_output=True,
                           text=True, env=plain_env())
    assert probe.returncode == 1 and "No module named 'core'" in probe.stderr, probe.stderr[-1000:]
    return str(python)


def plain_env(**extra: str) -> dict[str, str]:
    env = sandbox_env(**extra)
    env.pop("PYTHONPATH", None)
    return {**env, **extra}


def forecast_args(path: Path) -> list[str]:
    return ["forecast", str(path), "--date", "date", "--value", "units", "--id", "product", "--horizon", "7",
            "--json"]


@pytest.mark.slow
def test_a_worker_without_keel_is_named_before_any_work(tmp_path: Path) -> None:
    import core

    path = sales_file(tmp_path)
    (tmp_path / "dask").mkdir()
    python = keel_less_python(tmp_path / "dask")
    with dask_cluster(tmp_path / "dask", odd={"w2": (python, plain_env())}) as (address, _):
        start = time.monotonic()
        done = cli(tmp_path / "keel_home", *forecast_args(path), "--cluster", address)
        seconds = time.monotonic() - start
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"error: 1 of the 2 workers at {address} cannot run Keel (tcp://127.0.0.1:" in done.stderr
    assert "No module named 'core'" in done.stderr
    assert f"hint: Install Keel {core.__version__} (the version on this computer) on every worker machine" in (
        done.stderr)
    assert seconds < 120  # refused up front, not after a hang


@pytest.mark.slow
def test_workers_with_another_version_of_keel_are_refused(tmp_path: Path) -> None:
    import shutil

    import core

    path = sales_file(tmp_path)
    (tmp_path / "dask").mkdir()
    python = keel_less_python(tmp_path / "dask")
    older = tmp_path / "dask" / "older"  # this Keel's code under another version number
    shutil.copytree(ROOT / "core", older / "core", ignore=shutil.ignore_patterns("__pycache__"))
    init = older / "core" / "__init__.py"
    init.write_text(init.read_text().replace(f'__version__ = "{core.__version__}"', '__version__ = "0.0.9"'))
    assert '__version__ = "0.0.9"' in init.read_text()
    env = plain_env(PYTHONPATH=str(older))
    with dask_cluster(tmp_path / "dask", odd={"w1": (python, env), "w2": (python, env)}) as (address, _):
        done = cli(tmp_path / "keel_home", *forecast_args(path), "--cluster", address)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"error: The workers at {address} have another version of Keel (tcp://127.0.0.1:" in done.stderr
    assert f"Keel 0.0.9; this computer has Keel {core.__version__})" in done.stderr
    assert "hint: Install Keel" in done.stderr


@pytest.mark.slow
def test_a_scheduler_killed_mid_forecast_gives_the_whole_result_or_a_clear_error(tmp_path: Path) -> None:
    path = sales_file(tmp_path, products=120)
    args = forecast_args(path)
    (tmp_path / "dask").mkdir()
    with dask_cluster(tmp_path / "dask") as (address, procs):
        job = subprocess.Popen([sys.executable, "-m", "core", *args, "--cluster", address], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=sandbox_env(KEEL_HOME=str(tmp_path / "keel_home")))
        try:
            assert job.stderr is not None
            killed = False
            for line in job.stderr:  # the work is under way: the scheduler's machine dies
                if "series done" in line:
                    kill_tree(procs[0].pid)
                    killed = True
                    break
            assert killed, "the forecast never started on the cluster"
            start = time.monotonic()
            out, err = job.communicate(timeout=300)
            after_kill = time.monotonic() - start
        finally:
            if job.poll() is None:
                job.kill()
                job.wait()
    assert job.returncode in (0, 2) and "Traceback" not in err, err[-2000:]
    assert after_kill < 240  # no hang waiting for a scheduler that is gone
    if job.returncode == 2:  # a clear error, never a partial result
        assert "error: The Dask cluster" in err and out == ""
        return
    local = cli(tmp_path / "keel_home", *args)
    remote, expected = json.loads(out), json.loads(local.stdout)
    remote.pop("elapsed_seconds", None)
    expected.pop("elapsed_seconds", None)
    assert len(remote["series"]) == 120 and remote == expected


@pytest.mark.slow
def test_a_frozen_worker_is_a_plain_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that stops answering (its processes frozen, as a machine swapping to death would be) is found
    by the check before any work goes out, within the time limit: a plain error, never a wait for ever."""
    import psutil

    from core import cluster

    monkeypatch.setattr(cluster, "WORKERS_TIMEOUT_S", 5)
    (tmp_path / "dask").mkdir()
    with dask_cluster(tmp_path / "dask") as (address, procs):
        frozen = [psutil.Process(procs[-1].pid), *psutil.Process(procs[-1].pid).children(recursive=True)]
        for proc in frozen:
            proc.suspend()
        try:
            start = time.monotonic()
            with pytest.raises(cluster.ClusterError) as err, cluster.using(address), cluster.executor():
                pass
            seconds = time.monotonic() - start
        finally:
            for proc in frozen:
                proc.resume()
    assert f"Not every worker of the Dask cluster at {address} answered within 5 s" in str(err.value)
    assert "restart a stuck `dask worker`" in err.value.hint
    assert seconds < 60
