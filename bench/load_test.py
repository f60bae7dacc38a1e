"""Load test: many real headless-Chromium users against one real ``streamlit run app.py``.

    .venv/bin/python bench/load_test.py --think 15 --spread 60 # Monday morning: 20 colleagues arrive within a
                                                               # minute and read each page ~15 s (all 20 in at once)
    .venv/bin/python bench/load_test.py                        # ramp 5, 10, 20 users clicking non-stop (worst case)
    .venv/bin/python bench/load_test.py --users 3 --trainers 1 # quick check
    .venv/bin/python bench/load_test.py --users 20 --late 130 --json out.json --log-dir /tmp

For each step of the ramp a fresh server is started on 127.0.0.1 (a free port, its own temporary
KEEL_HOME) and warmed up by one visitor alone, who walks the journey twice (the second walk's
page loads, with the server CPU each cost, are printed as the single-user baseline). Then U users
come, each in its own browser context of one shared Chromium (Playwright's async API, one event
loop), and walk the main journey:

    Home -> "Open this sample" (round robin over the samples) -> findings on the Data page
    -> Train page -> (the first --trainers users with the penguins sample) train and wait for the result
    -> Evaluate -> Forecast -> Monitor

A page load is timed from the click (or ``goto``) until the page's own heading is visible and the
app is idle (``data-test-script-state="notRunning"``). A load fails on timeout, on Keel's error
box ("Sorry — something went wrong"), on a Streamlit exception element or on "Traceback" in the
page. A user succeeds when every step of the journey succeeded. After all contexts close the
script waits ``--settle`` seconds and reads the server's RSS again (VmRSS from /proc of the server
and its child processes, e.g. job workers; sampled every 0.25 s during the run for the peak).
CPU seconds used meanwhile by the server, by the load generator (Chromium + Playwright) and by
everything else on the machine are printed too, because on a shared 2-core box they decide the
timings: Chromium rendering Streamlit costs several times the server's CPU per page (a fresh
browser context compiles Streamlit's JavaScript: ~1.6 CPU-s for the first page, ~1.3 more for
the first chart or table), so with the users' browsers on the same 2 cores the load generator,
not the server, is what saturates first. Waits poll the page every 100 ms on a timer (see _poll).

Targets (issue 6, point 4): 20 users -> 100 % success, p95 page load < 5 s, RSS after within
100 MB of before. Exit status 0 only when every step of the ramp had 100 % success.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
_LAUNCH = {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERROR_TEXT = "Sorry — something went wrong"
SAMPLE_COUNT = 3  # Home shows one "Open this sample" button per sample in core.samples.SAMPLES
PENGUINS = 2      # index of the penguins sample (the one with a ready target for training)
FINDINGS = r"(Fix before training|Worth a look|Good to know) \(\d+\)|No problems found"  # JavaScript RegExp
# sidebar link label -> the page's H1 (emoji-free part)
PAGES = {
    "Home": "Keel", "Check my data": "Check my data", "Train a model": "Train a model",
    "How good is it?": "How good is it?", "Forecast & order": "Forecast & order", "Monitor": "Monitor",
}


# ----------------------------------------------------------------------------- server and memory
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on 127.0.0.1 with its own KEEL_HOME; stopped by :meth:`stop`."""

    def __init__(self, home: Path, log: Path, timeout: float = 60.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, "KEEL_HOME": str(home)}, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                    if r.status == 200 and r.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s:\n{log.read_text()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_mb(self) -> float:
        return tree_rss_mb(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its living descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in out or not Path(f"/proc/{p}").exists():
            continue
        out.append(p)
        todo += _children(p)
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat)."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` plus all its descendants, in MB (0 for processes that are gone)."""
    total_kb, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
        todo += _children(p)
    return total_kb / 1024


class PeakSampler:
    """Samples in a background thread: the server's peak RSS, and CPU seconds used meanwhile by the
    server, by this load generator (its Playwright driver and Chromium) and by the whole machine."""

    def __init__(self, server: Server, every: float = 0.25) -> None:
        self.server, self.every, self.peak = server, every, server.rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu0: dict[int, float] = {}
        self._cpu: dict[int, float] = {}
        self._server_pids: set[int] = set()
        self._main_series: list[tuple[float, float]] = []
        self.server_cpu = self.client_cpu = self.machine_cpu = 0.0

    def _sample_cpu(self) -> None:
        self._server_pids.update(tree_pids(self.server.proc.pid))  # job workers come and go
        for pid in tree_pids(os.getpid()):
            c = cpu_seconds(pid)
            self._cpu0.setdefault(pid, c if pid in self._cpu0_known else 0.0)
            self._cpu[pid] = max(c, self._cpu.get(pid, 0.0))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.server.rss_mb())
            self._sample_cpu()
            self._main_series.append((time.perf_counter(), cpu_seconds(self.server.proc.pid)))

    def busy_seconds(self, threshold: float = 0.9, window: float = 1.0) -> float:
        """Seconds during which the server's main process (one GIL) used >= ``threshold`` of a core."""
        busy, series, j = 0.0, self._main_series, 0
        for i in range(1, len(series)):
            while series[i][0] - series[j][0] > window and j < i - 1:
                j += 1
            dt = series[i][0] - series[j][0]
            if dt > 0 and (series[i][1] - series[j][1]) / dt >= threshold:
                busy += series[i][0] - series[i - 1][0]
        return busy

    def __enter__(self) -> PeakSampler:
        self._cpu0_known = set(tree_pids(os.getpid()))
        self._machine0 = machine_busy_seconds()
        self._t0 = time.perf_counter()
        self._sample_cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss_mb())
        self._sample_cpu()
        self.wall = time.perf_counter() - self._t0
        self.machine_cpu = machine_busy_seconds() - self._machine0
        server = self._server_pids
        used = {pid: self._cpu[pid] - self._cpu0.get(pid, 0.0) for pid in self._cpu}
        self.server_cpu = sum(v for pid, v in used.items() if pid in server)
        self.client_cpu = sum(v for pid, v in used.items() if pid not in server)


def nice_browser(niceness: int, folder: Path) -> None:
    """Run Chromium (and every process it starts) at a lower CPU priority than the server.

    The users' browsers would run on their own computers; here they share the server's two cores,
    and rendering Streamlit's frontend costs more CPU than serving it. Lowering the browsers'
    priority keeps the measurement about the server (what is left of the CPU still renders)."""
    wrapper = folder / "chromium-nice"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(niceness)} "{CHROMIUM}" "$@"\n')
    wrapper.chmod(0o755)
    _LAUNCH["executable_path"] = str(wrapper)


# ----------------------------------------------------------------------------- one user
@dataclass
class Load:
    user: int
    step: str
    seconds: float
    ok: bool
    error: str = ""
    server_cpu: float | None = None  # CPU seconds the server spent on this load (single-user baseline only)


@dataclass
class UserResult:
    user: int
    sample: int
    trained: bool
    loads: list[Load] = field(default_factory=list)
    train_seconds: float | None = None
    ok: bool = True
    error: str = ""
    cpu_probe: object = None  # callable returning the server's CPU seconds so far, or None
    started: float = 0.0  # when the user's session opened and closed (perf_counter)
    ended: float = 0.0


async def _check_page(page) -> str:
    """'' when the page shows no error; otherwise what was wrong."""
    if await page.get_by_text(ERROR_TEXT).count():
        return "Keel error box"
    if await page.get_by_test_id("stException").count():
        return "Streamlit exception element"
    if "Traceback" in await page.content():
        return "Traceback in page"
    return ""


async def _timed(result: UserResult, step: str, action, expect_fn, timeout_s: float, page) -> None:
    """Run ``action``, then wait for ``expect_fn`` and idle; record one Load. Raises on failure."""
    t0 = time.perf_counter()
    cpu0 = result.cpu_probe() if result.cpu_probe else None
    try:
        await asyncio.wait_for(_do(action, expect_fn, page, timeout_s), timeout_s)
        problem = await _check_page(page)
    except asyncio.TimeoutError:
        problem = f"timeout after {timeout_s:.0f} s"
    except Exception as exc:  # a Playwright timeout or a closed page
        problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    seconds = time.perf_counter() - t0
    cpu = result.cpu_probe() - cpu0 if result.cpu_probe else None
    result.loads.append(Load(result.user, step, seconds, not problem, problem, cpu))
    if problem:
        raise RuntimeError(f"{step}: {problem}")


async def _do(action, expect_fn, page, timeout_s: float) -> None:
    ms = timeout_s * 1000
    await action()
    await expect_fn(ms)
    await _poll(page, "(s) => document.querySelector(s) !== null", ms, IDLE)


POLL_MS = 100  # how often a waiting user checks the page


async def _poll(page, js: str, ms: float, arg=None) -> None:
    """Wait until ``js`` is true, checking every POLL_MS on a timer.

    Not Playwright's locator waits: those check on every animation frame, which makes each waiting
    tab draw 60 frames a second; with 20 tabs on 2 cores the load generator's own drawing then
    slowed every page it was timing (a browser CPU cost that grew with the wait itself)."""
    await page.wait_for_function(js, arg=arg, polling=POLL_MS, timeout=ms)


def _heading(page, title: str):
    async def wait(ms: float) -> None:
        await _poll(page, """(t) => [...document.querySelectorAll('h1')].some(
                                 h => h.textContent.includes(t) && h.getClientRects().length > 0)""", ms, title)
    return wait


def _text(page, pattern: str):
    """Wait for a regular expression (JavaScript syntax) in the page's text."""
    async def wait(ms: float) -> None:
        await _poll(page, "(p) => new RegExp(p).test(document.body.textContent)", ms, pattern)
    return wait


async def _nav(page, result: UserResult, label: str, timeout_s: float, think=None) -> None:
    if think is not None:
        await think()
    link = page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True)
    await _timed(result, label, link.click, _heading(page, PAGES[label]), timeout_s, page)


async def run_user(browser, url: str, user: int, sample: int, train: bool, timeout_s: float,
                   train_timeout_s: float, short: bool = False, delay: float = 0.0,
                   cpu_probe=None, think_s: float = 0.0, shared_context=None) -> UserResult:
    """Walk the journey once in a fresh browser context; never raises.

    ``think_s``: before each click the user reads the page for 0.5–1.5 × this many seconds (not timed)."""
    result = UserResult(user, sample, train, cpu_probe=cpu_probe)
    rng = random.Random(user)

    async def think() -> None:
        if think_s > 0:
            await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))

    await asyncio.sleep(delay)
    result.started = time.perf_counter()
    context = shared_context or await _new_context(browser, timeout_s)
    page = None
    try:
        page = await context.new_page()
        await _timed(result, "Home", lambda: page.goto(url, wait_until="commit"), _heading(page, "Keel"), timeout_s,
                     page)

        async def open_sample() -> None:
            await page.get_by_role("button", name="Open this sample").nth(sample).click()

        async def see_findings(ms: float) -> None:
            await _heading(page, "Check my data")(ms)
            await _text(page, FINDINGS)(ms)

        await think()  # reading time is never part of a timed load
        await _timed(result, "Open sample -> Data findings", open_sample, see_findings, timeout_s, page)
        if short:
            return result
        await _nav(page, result, "Train a model", timeout_s, think)
        if train:
            async def click_train() -> None:
                await page.get_by_role("button", name="Train and compare").click()

            trained = _text(page, r"Model trained in \d+ s and kept as")
            await think()
            t0 = time.perf_counter()
            await _timed(result, "Train (job)", click_train, trained, train_timeout_s, page)
            result.train_seconds = time.perf_counter() - t0
        for label in ("How good is it?", "Forecast & order", "Monitor"):
            await _nav(page, result, label, timeout_s, think)
    except Exception as exc:
        result.ok, result.error = False, str(exc)
    finally:
        try:
            await (page.close() if shared_context is not None and page is not None else context.close())
        except Exception:
            pass
    result.ended = time.perf_counter()
    result.ok = result.ok and all(load.ok for load in result.loads)
    return result


async def _new_context(browser, timeout_s: float):
    context = await browser.new_context(viewport={"width": 1280, "height": 1000}, reduced_motion="reduce")
    context.set_default_timeout(timeout_s * 1000)
    context.set_default_navigation_timeout(timeout_s * 1000)
    return context


async def run_users(url: str, users: int, trainers: int, timeout_s: float, train_timeout_s: float,
                    short: bool = False, spread_s: float = 0.0, think_s: float = 0.0,
                    warm_cache: bool = False) -> list[UserResult]:
    """U users at once (optionally spread over ``spread_s`` seconds), one Chromium, one context each.

    ``warm_cache``: every user still gets a separate Streamlit session (their own tab), but the tabs
    share one browser context whose HTTP cache was filled by one earlier visit, like colleagues who
    have opened Keel before (Streamlit's scripts are served as immutable for a year)."""
    from playwright.async_api import async_playwright

    penguin_users = [u for u in range(users) if u % SAMPLE_COUNT == PENGUINS]
    train_set = set(penguin_users[:trainers])
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**_LAUNCH)
        shared = None
        if warm_cache:
            shared = await _new_context(browser, timeout_s)
            first = await shared.new_page()
            await first.goto(url)
            await _heading(first, "Keel")(timeout_s * 1000)
            await first.close()
        try:
            return list(await asyncio.gather(*[
                run_user(browser, url, u, u % SAMPLE_COUNT, u in train_set, timeout_s, train_timeout_s, short,
                         delay=spread_s * u / max(users, 1), think_s=think_s, shared_context=shared)
                for u in range(users)
            ]))
        finally:
            await browser.close()


async def warm_up(url: str, timeout_s: float, server_pid: int) -> list[Load]:
    """One visitor alone, twice: a first journey (imports, first script runs, caches) with the shop
    sample, then a second with the penguins sample whose page loads are the single-user baseline."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**_LAUNCH)
        try:
            first = await run_user(browser, url, -1, 0, False, timeout_s, timeout_s)
            probe = lambda: sum(cpu_seconds(p) for p in tree_pids(server_pid))  # noqa: E731
            second = await run_user(browser, url, -1, PENGUINS, False, timeout_s, timeout_s, cpu_probe=probe)
        finally:
            await browser.close()
    if not (first.ok and second.ok):
        raise RuntimeError(f"warm-up visitor failed: {first.error or second.error}")
    return second.loads


# ----------------------------------------------------------------------------- one step of the ramp
@dataclass
class StepReport:
    users: int
    users_ok: int
    loads: int
    loads_ok: int
    p50_s: float
    p95_s: float
    max_s: float
    p95_in_app_s: float  # p95 without each user's first page load (a fresh browser fetching the app)
    wall_s: float
    rss_cold_mb: float
    rss_before_mb: float
    rss_peak_mb: float
    rss_after_mb: float
    rss_late_mb: float | None
    server_alive: bool
    server_cpu_s: float
    client_cpu_s: float
    machine_cpu_s: float
    cpu_window_s: float
    server_gil_bound_s: float  # seconds the server's main process ran at >= 90 % of one core
    load_before: float
    baseline: dict[str, float]
    baseline_server_cpu: dict[str, float]
    train_seconds: list[float]
    slowest_steps: dict[str, float]
    failures: list[str]
    peak_concurrent: int = 0  # most users with a session open at the same moment

    @property
    def success(self) -> float:
        return self.users_ok / self.users if self.users else 0.0

    @property
    def all_ok(self) -> bool:
        return self.users_ok == self.users and self.loads_ok == self.loads and self.server_alive


def peak_concurrent(results: list[UserResult]) -> int:
    """The most sessions open at once (a user counts from opening the app to leaving it)."""
    events = sorted([(r.started, 1) for r in results] + [(r.ended, -1) for r in results], key=lambda e: (e[0], e[1]))
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_step(users: int, trainers: int, timeout_s: float, train_timeout_s: float, settle_s: float,
             short: bool = False, spread_s: float = 0.0, warm: bool = True, late_s: float = 0.0,
             think_s: float = 0.0, log=print, keep_log: Path | None = None, warm_cache: bool = False,
             workdir: Path | None = None) -> StepReport:
    """Start a fresh server, warm it, let ``users`` users in, let them leave, measure; stop the server.

    ``late_s`` > 0 also reads the RSS that long after the users left (Streamlit keeps a disconnected
    session's state for 2 minutes in case it reconnects). ``workdir``: where the server's KEEL_HOME and log go
    (a test passes its own temporary folder); a new temporary folder by default."""
    with tempfile.TemporaryDirectory(prefix="keel_load_", dir=workdir) as tmp:
        server = Server(Path(tmp) / "keel_home", Path(tmp) / "streamlit.log")
        baseline: list[Load] = []
        late = None
        try:
            time.sleep(1.0)
            cold = server.rss_mb()
            if warm:
                baseline = asyncio.run(warm_up(server.url, timeout_s * 2, server.proc.pid))
                time.sleep(settle_s)
            before = server.rss_mb()
            load_before = os.getloadavg()[0]
            t0 = time.perf_counter()
            with PeakSampler(server) as sampler:
                results = asyncio.run(run_users(server.url, users, trainers, timeout_s, train_timeout_s, short, spread_s,
                                                think_s, warm_cache))
                wall = time.perf_counter() - t0
                time.sleep(settle_s)
            after = server.rss_mb()
            if late_s > settle_s:
                time.sleep(late_s - settle_s)
                late = server.rss_mb()
            alive = server.alive()
        finally:
            server.stop()
            if keep_log is not None:
                shutil.copyfile(server.log_path, keep_log)
        if not alive or any(not r.ok for r in results):
            log(f"  (server log: last lines)\n{_tail(server.log_path)}")
    page_loads = [ld for r in results for ld in r.loads if ld.step != "Train (job)"]
    ok_times = [ld.seconds for ld in page_loads if ld.ok]
    by_step: dict[str, list[float]] = {}
    for ld in page_loads:
        by_step.setdefault(ld.step, []).append(ld.seconds)
    failures = [f"user {r.user}: {r.error}" for r in results if not r.ok]
    return StepReport(
        users=users, users_ok=sum(r.ok for r in results),
        loads=len(page_loads), loads_ok=sum(ld.ok for ld in page_loads),
        p50_s=percentile(ok_times, 0.5), p95_s=percentile(ok_times, 0.95), max_s=max(ok_times, default=float("nan")),
        p95_in_app_s=percentile([ld.seconds for ld in page_loads if ld.ok and ld.step != "Home"], 0.95),
        wall_s=wall, rss_cold_mb=cold, rss_before_mb=before, rss_peak_mb=sampler.peak, rss_after_mb=after,
        rss_late_mb=late, server_alive=alive, server_cpu_s=sampler.server_cpu, client_cpu_s=sampler.client_cpu,
        machine_cpu_s=sampler.machine_cpu, cpu_window_s=sampler.wall,
        server_gil_bound_s=sampler.busy_seconds(), load_before=load_before,
        baseline={ld.step: round(ld.seconds, 2) for ld in baseline},
        baseline_server_cpu={ld.step: round(ld.server_cpu or 0.0, 2) for ld in baseline}, train_seconds=[round(r.train_seconds, 1) for r in results if r.train_seconds],
        slowest_steps={k: round(percentile(v, 0.95), 2) for k, v in sorted(by_step.items(), key=lambda kv: -max(kv[1]))},
        failures=failures, peak_concurrent=peak_concurrent(results),
    )


def _tail(path: Path, n: int = 30) -> str:
    """The server log's last lines, without Streamlit's 'missing ScriptRunContext' noise (counted)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    noise = [ln for ln in lines if "missing ScriptRunContext" in ln]
    kept = [ln for ln in lines if "missing ScriptRunContext" not in ln][-n:]
    return "\n".join(kept + ([f"({len(noise)} 'missing ScriptRunContext' warnings left out)"] if noise else []))


def print_step(rep: StepReport, out=print) -> None:
    out(f"U={rep.users:>3}: users ok {rep.users_ok}/{rep.users} ({rep.success:.0%}), "
        f"page loads ok {rep.loads_ok}/{rep.loads}, wall {rep.wall_s:.1f} s, "
        f"at most {rep.peak_concurrent} users in the app at the same moment")
    out(f"       page load p50 {rep.p50_s:.2f} s · p95 {rep.p95_s:.2f} s · max {rep.max_s:.2f} s "
        f"(target p95 < 5 s: {'yes' if rep.p95_s < 5 else 'NO'}); "
        f"p95 without the first load (Home in a fresh browser) {rep.p95_in_app_s:.2f} s")
    out(f"       server RSS cold {rep.rss_cold_mb:.0f} MB · before {rep.rss_before_mb:.0f} MB · "
        f"peak {rep.rss_peak_mb:.0f} MB · after {rep.rss_after_mb:.0f} MB "
        f"(after - before {rep.rss_after_mb - rep.rss_before_mb:+.0f} MB; target < +100 MB: "
        f"{'yes' if rep.rss_after_mb - rep.rss_before_mb < 100 else 'NO'})")
    if rep.rss_late_mb is not None:
        out(f"       server RSS later (sessions expired): {rep.rss_late_mb:.0f} MB "
            f"({rep.rss_late_mb - rep.rss_before_mb:+.0f} MB)")
    other = max(rep.machine_cpu_s - rep.server_cpu_s - rep.client_cpu_s, 0.0)
    out(f"       CPU seconds during run+settle: server {rep.server_cpu_s:.0f}, browsers+driver "
        f"{rep.client_cpu_s:.0f}, other processes {other:.0f} (machine busy {rep.machine_cpu_s:.0f} of "
        f"{rep.cpu_window_s * (os.cpu_count() or 1):.0f} available); load average at start {rep.load_before:.2f}")
    out(f"       server main process at >= 90 % of one core (GIL-bound) for {rep.server_gil_bound_s:.0f} s "
        f"of {rep.cpu_window_s:.0f} s")
    out("       p95 by step: " + ", ".join(f"{k} {v:.2f} s" for k, v in rep.slowest_steps.items()))
    if rep.baseline:
        out("       one user alone (wall / server CPU): " + ", ".join(
            f"{k} {v:.2f}/{rep.baseline_server_cpu.get(k, 0):.2f} s" for k, v in rep.baseline.items()))
    if rep.train_seconds:
        out(f"       training jobs (click to result): {rep.train_seconds} s")
    if not rep.server_alive:
        out("       SERVER DIED")
    for f in rep.failures[:10]:
        out(f"       FAIL {f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", default="5,10,20", help="comma-separated ramp, e.g. 5,10,20 (max 50 each)")
    ap.add_argument("--trainers", type=int, default=2, help="how many penguin users also train a model")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before one page load counts as failed")
    ap.add_argument("--train-timeout", type=float, default=240.0, help="seconds allowed for one training job")
    ap.add_argument("--settle", type=float, default=10.0, help="seconds to wait after users leave before RSS")
    ap.add_argument("--spread", type=float, default=0.0, help="spread user arrivals over this many seconds")
    ap.add_argument("--late", type=float, default=0.0,
                    help="also read the RSS this many seconds after users left (e.g. 130; sessions expire at 120)")
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="run Chromium at this niceness (e.g. 10) so it yields the CPU to the server")
    ap.add_argument("--think", type=float, default=0.0,
                    help="users read each page 0.5-1.5 x this many seconds before the next click (0: no pause)")
    ap.add_argument("--warm-cache", action="store_true",
                    help="users are returning visitors: separate sessions (tabs) sharing one warmed browser cache")
    ap.add_argument("--short", action="store_true", help="only Home -> sample -> Data findings")
    ap.add_argument("--log-dir", type=Path, help="keep each step's server log in this folder")
    ap.add_argument("--json", type=Path, help="also write the reports here")
    args = ap.parse_args(argv)
    ramp = [int(u) for u in args.users.split(",") if u.strip()]
    if not ramp or any(u < 1 or u > 50 for u in ramp):
        ap.error("--users takes numbers from 1 to 50")
    if not Path(CHROMIUM).exists():
        print(f"No Chromium at {CHROMIUM} (apt-get install chromium).", file=sys.stderr)
        return 2
    tmp = tempfile.TemporaryDirectory(prefix="keel_load_bin_")
    if args.browser_nice:
        nice_browser(args.browser_nice, Path(tmp.name))
    load = os.getloadavg()
    print(f"Keel load test · ramp {ramp} · {os.cpu_count()} cores · browser niceness {args.browser_nice} · "
          f"arrivals over {args.spread:g} s · think {args.think:g} s · "
          f"{'returning visitors (warm browser cache)' if args.warm_cache else 'first visits (empty caches)'} · "
          f"load average before "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    reports: list[StepReport] = []
    for users in ramp:
        rep = run_step(users, args.trainers, args.timeout, args.train_timeout, args.settle, args.short, args.spread,
                       late_s=args.late, think_s=args.think, warm_cache=args.warm_cache,
                       keep_log=args.log_dir / f"streamlit_{users}users.log" if args.log_dir else None)
        reports.append(rep)
        print_step(rep)
        print(f"       load average now {os.getloadavg()[0]:.2f}", flush=True)
    held = [r.users for r in reports if r.all_ok]
    print(f"Largest U with 100 % success: {max(held) if held else 'none'}")
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r), "success": r.success} for r in reports], indent=2))
    return 0 if reports and all(r.all_ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
