"""Run the suite's benchmarks one after another, each as a subprocess with a time limit.

For each benchmark:

1. build its command (``python -m <module> <args> --json-out <dir>/<name>.json``) with only the
   peers that are available here;
2. start it in a session of its own, output to ``<dir>/<name>.log``, and show its last output
   line in a rich progress display while it runs;
3. at its time limit, stop its whole process group (SIGTERM, then SIGKILL 15 s on);
4. record status (``ok``, ``failed``, ``timeout``), exit code, seconds, the load average before
   and after, and the JSON it wrote (a failed benchmark keeps whatever JSON it left).

One benchmark failing or timing out is recorded and the next one runs.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from bench.suite import Benchmark, Peer

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 15.0
POLL_S = 0.5


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip()


def run_metadata(command: str, quick: bool) -> dict[str, Any]:
    return {
        "command": command,
        "quick": quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "load_start": load_average(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "src"), str(REPO_ROOT), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env.setdefault("COLUMNS", "160")  # rich tables in the logs stay readable
    return env


def last_line(log: Path) -> str:
    """The log's last non-empty line (read from its tail only)."""
    try:
        with log.open("rb") as f:
            f.seek(max(0, log.stat().st_size - 4096))
            tail = f.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.replace("\r", "\n").splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Step 3: the benchmark's process group, the broker and worker processes it started too."""
    for sig, wait_s in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
        return


def wait(
    process: subprocess.Popen[bytes], deadline: float, log: Path, progress: Progress, task: TaskID
) -> str:
    """Step 2-3: ``ok`` once it exits, ``timeout`` (and stopped) at the deadline."""
    while process.poll() is None:
        if time.monotonic() > deadline:
            stop_group(process)
            return "timeout"
        progress.update(task, line=last_line(log))
        time.sleep(POLL_S)
    return "ok"


def run_one(
    benchmark: Benchmark,
    quick: bool,
    available: set[str],
    out_dir: Path,
    progress: Progress,
) -> dict[str, Any]:
    """Steps 1-4 for one benchmark."""
    json_path, log = out_dir / f"{benchmark.name}.json", out_dir / f"{benchmark.name}.log"
    json_path.unlink(missing_ok=True)
    args = benchmark.arguments(quick, available)
    command = [sys.executable, "-m", benchmark.module, *args, benchmark.json_option]
    record: dict[str, Any] = {
        "name": benchmark.name,
        "title": benchmark.title,
        "command": " ".join(["python", "-m", benchmark.module, *args]),
        "engines": benchmark.engines(available),
        "peers": list(benchmark.peers),
        "timeout_s": benchmark.timeout_s(quick),
        "load_start": load_average(),
        "log": str(log),
    }
    task = progress.add_task(benchmark.name, total=None, line="starting")
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, str(json_path)],
            cwd=REPO_ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        status = wait(process, started + benchmark.timeout_s(quick), log, progress, task)
    except BaseException:  # Ctrl-C: the benchmark runs in its own session, so stop it here
        stop_group(process)
        raise
    record["seconds"] = round(time.monotonic() - started, 1)
    record["exit_code"] = process.returncode
    record["load_end"] = load_average()
    progress.remove_task(task)
    return finish(record, status, json_path, log)


def finish(record: dict[str, Any], status: str, json_path: Path, log: Path) -> dict[str, Any]:
    """Step 4: the status, the benchmark's JSON, and the reason when it did not succeed."""
    missing: str | None = None
    try:
        record["result"] = json.loads(json_path.read_text())
    except (OSError, ValueError) as exc:
        record["result"] = None
        missing = f"no results file ({type(exc).__name__})"
    if status == "timeout":
        record["reason"] = f"timed out after {record['timeout_s']:.0f} s"
    elif record["exit_code"] != 0:
        status, record["reason"] = "failed", f"exit code {record['exit_code']}: {last_line(log)}"
    elif missing is not None:
        status, record["reason"] = "failed", missing
    record["status"] = status
    return record


def run_suite(
    benchmarks: Sequence[Benchmark],
    quick: bool,
    peers: dict[str, Peer],
    out_dir: Path,
    command: str,
    console: Console,
) -> dict[str, Any]:
    """Run every benchmark; the document that the report and the plots are made from."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "meta": run_metadata(command, quick),
        "peers": {
            name: {"available": p.available, "detail": p.detail} for name, p in peers.items()
        },
        "benchmarks": [],
    }
    available = {name for name, peer in peers.items() if peer.available}
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[line]}"),
    )
    with Progress(*columns, console=console) as progress:
        overall = progress.add_task("suite", total=len(benchmarks), line="")
        for benchmark in benchmarks:
            progress.update(overall, line=f"running {benchmark.name}")
            record = run_one(benchmark, quick, available, out_dir, progress)
            document["benchmarks"].append(record)
            colour = {"ok": "green", "timeout": "yellow"}.get(record["status"], "red")
            why = f": {record['reason']}" if "reason" in record else ""
            console.print(
                f"[{colour}]{benchmark.name}: {record['status']}[/] in {record['seconds']:.0f} s "
                f"(load {record['load_start'][0]:.2f} -> {record['load_end'][0]:.2f}){why}"
            )
            progress.advance(overall)
        progress.update(overall, line="done")
    document["meta"]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    document["meta"]["load_end"] = load_average()
    return document
