"""Row 9: one real ``airflow triggerer`` process full of deferred sensors, polling the fake space.

The sides, the same N deferred triggers each, in the same Airflow (this venv's) and on the same server:

* ours: ``MessageStatusSensor`` and ``CallStatusSensor`` (half each), deferred: ``SignalWireStatusTrigger``
  of kinds ``message`` and ``call``, polling the Compatibility API's ``Messages/<sid>`` and ``Calls/<sid>``,
  whose statuses move on the server's clock (queued, sending, sent; queued, ringing, in-progress) and
  never reach a final one during the measurement;
* ``HttpSensor(deferrable=True)``: ``HttpSensorTrigger``, waiting while its endpoint answers 404.

The triggers are built by row 5's code (``bench_triggers.status_triggers`` / ``http_triggers``) and the
server is row 5's :class:`~benchmarks.bench_triggers.TriggerServer` (its own process; it counts TCP
connections, TLS handshakes, polls, and the gap between two polls of one resource).

How a run goes: a scratch ``AIRFLOW_HOME`` with a SQLite metadata database, migrated once, and a DAG
file with the three sensors, serialized by ``airflow dags reserialize``. For each side and N: a DAG run,
then N task instances in state ``deferred``, each with its trigger row, written as the sensors'
``defer()`` would leave them, in batches spread over one poll interval (sensors defer at different
moments), while ``airflow triggerer --capacity 10000`` runs. Once every resource has been polled (the
deferrals are over), a window of one interval (at least 10 s) is measured: CPU seconds of the triggerer's
whole process tree (the supervisor and its trigger runner) per 1,000 polls; the tree's RSS minus an
idle triggerer's, per trigger; lateness, every gap between two polls of one resource minus the poll
interval (p50, p99); TLS handshakes the server completed in the window. The poll interval grows with
N (``N / POLLS_PER_S``) so every size polls at the same rate. ``[logging] logging_level`` is ERROR for
both sides: the figures are the triggers', not the log sink's (ours logs each poll at INFO,
HttpSensorTrigger warns on each 404).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "bench_triggerer"
OURS, HTTP = "Message/CallStatusSensor (SignalWireStatusTrigger)", "HttpSensor(deferrable=True)"
FLOOR = "DateTimeTrigger, sleeping a day"
POLLS_PER_S = 50  # the poll rate every size runs at: N triggers, one poll each every N / 50 s

DAG_FILE = f'''
from datetime import datetime

from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import DAG

from airflow_provider_signalwire.sensors.messaging import MessageStatusSensor
from airflow_provider_signalwire.sensors.voice import CallStatusSensor

with DAG("{DAG_ID}", schedule=None, start_date=datetime(2026, 1, 1)):
    MessageStatusSensor(task_id="message", message_sid="x", deferrable=True,
                        signalwire_conn_id="signalwire_bench_triggers")
    CallStatusSensor(task_id="call", call_sid="x", deferrable=True,
                     signalwire_conn_id="signalwire_bench_triggers")
    HttpSensor(task_id="http", endpoint="x", http_conn_id="http_bench_triggers", deferrable=True)
'''


def _airflow_env(home: str, server: Any) -> dict[str, str]:
    from benchmarks.bench_triggers import CONN_HTTP, CONN_OURS
    from benchmarks.server import http_conn, signalwire_conn

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": home,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__DAGS_FOLDER": f"{home}/dags",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            "AIRFLOW__TRIGGERER__CAPACITY": "10000",
            f"AIRFLOW_CONN_{CONN_OURS.upper()}": signalwire_conn(server),
            f"AIRFLOW_CONN_{CONN_HTTP.upper()}": http_conn(server, verify=False),
            # HttpSensorTrigger's aiohttp session verifies with the default context: trust the bench CA.
            "SSL_CERT_FILE": server.ca_bundle,
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def _airflow(env: dict[str, str], *args: str) -> None:
    airflow = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run([airflow, *args], env=env, capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _child(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_triggerer", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], what: str) -> str:
    out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"{what} failed:\n{err[-3000:]}")
    return out


# --------------------------------------------------------------------------- in the scratch Airflow


def _defer(side: str, count: int, interval: float, tag: str, spread: float) -> None:  # pragma: no cover
    """Create a DAG run and ``count`` deferred task instances with their triggers, as the sensors'
    ``defer()`` leaves them, in batches over ``spread`` seconds."""
    from datetime import timedelta

    from airflow._shared.timezones import timezone
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    from benchmarks.bench_triggers import http_triggers, status_triggers

    with create_session() as session:
        serialized = SerializedDagModel.get(DAG_ID, session=session)
        assert serialized is not None, "the DAG was not serialized"
        dag = serialized.dag
        version_id = serialized.dag_version_id
        run_id = f"bench_{side}_{tag}"

        dag.create_dagrun(
            run_id=run_id,
            run_after=timezone.utcnow(),
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.RUNNING,
            session=session,
        )

    def add(triggers: list[Any], first: int) -> None:
        with create_session() as session:
            rows = [Trigger.from_object(t) for t in triggers]
            session.add_all(rows)
            session.flush()
            for k, (trigger, row) in enumerate(zip(triggers, rows, strict=True), start=first):
                task_id = getattr(trigger, "kind", "http")
                ti = TaskInstance(
                    task=dag.get_task(task_id),
                    dag_version_id=version_id,
                    run_id=run_id,
                    state=TaskInstanceState.DEFERRED,
                    map_index=k,
                )
                ti.trigger_id = row.id
                ti.next_method = "execute_complete"
                session.add(ti)

    batches = max(1, int(spread / 0.25))
    started = time.monotonic()
    for b in range(batches):
        first, last = count * b // batches, count * (b + 1) // batches
        if side == "ours":
            triggers = status_triggers(last - first, interval, tag, ("message", "call"), first=first)
        elif side == "floor":
            from airflow.providers.standard.triggers.temporal import DateTimeTrigger

            moment = timezone.utcnow() + timedelta(days=1)
            triggers = [DateTimeTrigger(moment) for _ in range(last - first)]
        else:
            triggers = http_triggers(last - first, interval, tag, {}, first=first)
        _with_retries(add, triggers, first)
        time.sleep(max(0.0, started + spread * (b + 1) / batches - time.monotonic()))


def _with_retries(write: Any, *args: Any) -> None:
    """SQLite allows one writer: the triggerer's heartbeat may hold the lock for a moment."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(50):
        try:
            return write(*args)
        except OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.2)


def _clear() -> None:  # pragma: no cover - runs in the scratch Airflow
    """Remove every benchmark run, its task instances and triggers (before the next side)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(TaskInstance).where(TaskInstance.dag_id == DAG_ID))
        session.execute(delete(DagRun).where(DagRun.dag_id == DAG_ID))
        session.execute(delete(Trigger))


# --------------------------------------------------------------------------- the triggerer process


class Triggerer:
    def __init__(self, env: dict[str, str], home: str) -> None:
        self.log = open(f"{home}/triggerer.log", "ab")  # noqa: SIM115 (closed in stop())
        airflow = str(Path(sys.executable).with_name("airflow"))
        self.process = subprocess.Popen(
            [airflow, "triggerer", "--skip-serve-logs", "--capacity", "10000"],
            env=env,
            cwd=REPO,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tree(self) -> list[Any]:
        import psutil

        main = psutil.Process(self.process.pid)
        return [main, *main.children(recursive=True)]

    def cpu(self) -> float:
        total = 0.0
        for p in self.tree():
            try:
                times = p.cpu_times()
            except Exception:  # a process that just ended
                continue
            total += times.user + times.system
        return total

    def rss_mb(self) -> float:
        total = 0
        for p in self.tree():
            try:
                total += p.memory_info().rss
            except Exception:
                continue
        return total / 1024 / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_bytes()[-3000:].decode(errors="replace")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the triggerer exited ({self.process.returncode}):\n{self.tail()}")


def _idle_rss(env: dict[str, str], home: str, settle: float) -> float:
    triggerer = Triggerer(env, home)
    try:
        time.sleep(settle)
        triggerer.alive()
        return triggerer.rss_mb()
    finally:
        triggerer.stop()


def _settled_rss(triggerer: Triggerer, count: int, deadline: float) -> float:
    """The floor side's triggers never poll: wait until the triggerer has started them all (it starts
    ~15 a second; each start grows its memory), i.e. until its RSS grows by under 0.25 MB in 10 s."""
    time.sleep(count / 30)
    samples = [triggerer.rss_mb()]
    while len(samples) < 6 or samples[-1] - samples[-6] > 0.25:
        triggerer.alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"floor: the triggerer's memory never settled: {samples[-6:]}")
        time.sleep(2)
        samples.append(triggerer.rss_mb())
    return samples[-1]


# --------------------------------------------------------------------------- where the CPU goes

# ``BENCH_TRIGGERER_PROFILE=<folder>``: py-spy samples the triggerer's process tree over each side's
# measurement window (a profiling run, not a figures run: py-spy takes CPU from the other core) and writes
# its stacks and a summary there (py-spy comes with the ``bench`` extra); see RESULTS.md row 9.
PROFILE_DIR = os.environ.get("BENCH_TRIGGERER_PROFILE")

# Where a sampled stack's innermost frame lives (its file's path, relative to site-packages or the
# standard library), first match wins.
AREAS = (
    ("ssl (TLS records)", ("ssl.py", "asyncio/sslproto.py")),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
    ("aiohttp", ("aiohttp/", "multidict/", "yarl/", "propcache/", "aiohappyeyeballs/")),
    ("this provider", ("airflow_provider_signalwire/",)),
    (
        "airflow triggerer, supervisor, DB",
        ("airflow/", "sqlalchemy/", "greenback/", "structlog/", "msgspec/"),
    ),
    ("json, http (and the http provider), logging", ("json/", "http/", "logging/")),
)


def _area(frame: str) -> str:
    path = "/" + frame.rpartition("(")[2].rpartition(":")[0]
    return next((name for name, marks in AREAS if any("/" + m in path for m in marks)), "other")


def _start_profile(triggerer: Triggerer, name: str, window: float) -> subprocess.Popen[str] | None:
    if not PROFILE_DIR:
        return None
    Path(PROFILE_DIR).mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(triggerer.process.pid),
            "--subprocesses",
            "--nonblocking",
            "--rate",
            "100",
            "--duration",
            str(int(window)),
            "--format",
            "raw",
            "--output",
            f"{PROFILE_DIR}/{name}.txt",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish_profile(profiler: subprocess.Popen[str] | None) -> None:
    if profiler is None:
        return
    _, err = profiler.communicate(timeout=120)
    output = str(profiler.args[-1])  # type: ignore[index]
    if not Path(output).exists():
        raise RuntimeError(f"py-spy wrote nothing: {err[-2000:]}")
    summary = summarize_profile(Path(output).read_text())
    Path(output).with_suffix(".summary.txt").write_text(summary)
    print(summary, file=sys.stderr)


# What a sampled stack is doing, first match wins: (label, frames that mark it, in the runner only).
ACTIVITIES = (
    ("waiting in epoll (py-spy counts it busy)", ("EpollSelector.select ",), None),
    (
        "Airflow's per-second pass over every trigger (runner: cleanup, sync, create, cancel)",
        (
            "TriggerRunner.cleanup_finished_triggers ",
            "TriggerRunner.sync_state_to_supervisor ",
            "TriggerRunner.create_triggers ",
            "TriggerRunner.cancel_triggers ",
        ),
        True,
    ),
    ("our trigger and hook", ("airflow_provider_signalwire/",), True),
    ("HttpSensorTrigger and its hook", ("http/triggers/", "http/hooks/"), True),
    (
        "Airflow's per-second pass over every trigger (supervisor: DB queries)",
        ("TriggerRunnerSupervisor.load_triggers ", "TriggerRunnerSupervisor.clean_unused "),
        False,
    ),
)


def _activity(frames: list[str], runner: bool) -> str:
    for label, marks, in_runner in ACTIVITIES:
        if in_runner is not None and in_runner != runner:
            continue
        if any(mark in frame for frame in frames for mark in marks):
            return label
    return ("runner" if runner else "supervisor") + ": the rest (event loop, TLS, logging, heartbeats)"


def summarize_profile(raw: str, top: int = 25) -> str:
    """py-spy's raw (collapsed) stacks: the share of samples per process, activity and area of the
    innermost frame, and the functions with the most samples on their own and including what they call."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    areas: dict[str, int] = {}
    activities: dict[str, int] = {}
    processes: dict[str, int] = {}
    where: dict[str, str] = {}
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        # The trigger runner is forked from the supervisor (its stacks start in the supervisor's frames);
        # a trigger run through greenback shows only its greenlet's frames (no main module below).
        runner = any(f.startswith("_fork_main ") for f in frames) or not frames[0].startswith("<module> (")
        process = (
            "the trigger runner (the triggers' event loop)" if runner else "the supervisor (DB, heartbeats)"
        )
        processes[process] = processes.get(process, 0) + count
        activity = _activity(frames, runner)
        activities[activity] = activities.get(activity, 0) + count
        total += count
        leaf = frames[-1]
        own[leaf] = own.get(leaf, 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
            where[frame] = process
        areas[_area(leaf)] = areas.get(_area(leaf), 0) + count

    def table(counts: dict[str, int], limit: int) -> list[str]:
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
        return [f"  {100 * n / max(total, 1):5.1f}%  {name}" for name, n in ranked]

    lines = [f"{total} samples (100 a second of each busy thread)", "by process:"]
    lines += table(processes, 10)
    lines += ["by what it was doing:", *table(activities, len(ACTIVITIES) + 2)]
    lines += ["by the innermost frame's area:", *table(areas, len(AREAS) + 1)]
    lines += [f"top {top} functions, own samples:", *table(own, top)]
    # Without the frames nearly every sample of their process passes through (main, run_forever, ...).
    inner = {f: n for f, n in inclusive.items() if n < 0.9 * processes[where[f]]}
    lines += [f"top {top} functions, with what they call (below the loop):", *table(inner, top)]
    return "\n".join(lines) + "\n"


def _measure(server: Any, env: dict[str, str], home: str, side: str, count: int, interval: float) -> dict:
    _finish(_child(env, "--clear"), "clearing the runs")
    server.configure(10**9)  # the http side's 404s never end
    triggerer = Triggerer(env, home)
    started = server.snapshot()
    try:
        tag = f"{count % 0xFFFF:04x}"
        # Deferred over one poll interval, as sensors defer at different moments. (Over 5 s, as until
        # 2026-12-04, left the spread to Airflow's start, which was slow: a side that starts fast then
        # polled in one burst per interval.)
        adding = _child(env, "--defer", side, str(count), str(interval), tag, str(interval))
        # Airflow's start is the slow part: each trigger's connection lookup masks the password and
        # the extra through the supervisor, which answers one message per pass of its loop, and a
        # pass reads the trigger table (~20 messages a second at 5,000 on this machine).
        deadline = time.monotonic() + count / 2 + 4 * interval + 300
        if side == "floor":
            _finish(adding, "deferring the tasks")
            rss = _settled_rss(triggerer, count, deadline)
            # Its CPU over the same window as the other sides, per 1,000 of their polls: what holding N
            # triggers costs the triggerer (its loop, heartbeats, bookkeeping), polls or not.
            window = max(10.0, interval)
            cpu0 = triggerer.cpu()
            profiler = _start_profile(triggerer, f"{side}-{count}", window)
            time.sleep(window)
            cpu_s = triggerer.cpu() - cpu0
            triggerer.alive()
            _finish_profile(profiler)
            polls = count / interval * window  # what the other sides poll in this window
            return {"rss_mb": rss, "cpu_per_1000": cpu_s * 1000 / polls, "polls": 0, "window": window}
        waiting_since = last_word = time.monotonic()
        while server.snapshot().get("resources", 0) < count:
            if time.monotonic() - last_word > 60:  # a long wait says how far it is
                last_word = time.monotonic()
                polled = server.snapshot().get("resources", 0)
                print(
                    f"  row 9: {side} x {count}: {polled:,} polled after {last_word - waiting_since:.0f} s",
                    file=sys.stderr,
                )
            triggerer.alive()
            if adding.poll():
                _finish(adding, "deferring the tasks")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{side}: only {server.snapshot()} of {count} polled; the triggerer's log ends:\n"
                    + triggerer.tail()
                )
            time.sleep(0.5)
        _finish(adding, "deferring the tasks")
        # Every trigger has polled at least once and the deferrals are over: the steady cycle.
        window = max(10.0, interval)
        cpu0, before = triggerer.cpu(), server.snapshot()
        server.take_gaps()
        profiler = _start_profile(triggerer, f"{side}-{count}", window)
        time.sleep(window)
        cpu1, after, rss = triggerer.cpu(), server.snapshot(), triggerer.rss_mb()
        gaps = server.take_gaps()
        triggerer.alive()
        _finish_profile(profiler)
    finally:
        triggerer.stop()
    counted = {k: v - before.get(k, 0) for k, v in after.items()}
    polls = counted.get("status", 0) + counted.get("http", 0)
    late = sorted(g - interval for g in gaps)
    return {
        "cpu_per_1000": (cpu1 - cpu0) * 1000 / max(polls, 1),
        "polls": polls,
        "rss_mb": rss,
        "handshakes": counted.get("handshakes", 0),
        "all_handshakes": after.get("handshakes", 0) - started.get("handshakes", 0),
        "all_polls": after.get("status", 0)
        + after.get("http", 0)
        - started.get("status", 0)
        - started.get("http", 0),
        "connections": counted.get("connections", 0),
        "late_p50": statistics.median(late) if late else float("nan"),
        "late_p99": late[min(len(late) - 1, int(0.99 * len(late)))] if late else float("nan"),
        "window": window,
    }


def run(size: str = "full") -> list[dict[str, Any]]:
    from benchmarks.bench_triggers import TriggerServerProcess

    # Airflow's triggerer answers its trigger runner one message per pass of its loop (a pass reads the
    # trigger table), and each HttpSensorTrigger's connection lookup masks the password and the extra
    # through it: ~20 messages a second at 5,000 on this machine, so that side takes minutes to start.
    # Ours share one lookup per connection (SignalWireAsyncHook) and start as fast as they are deferred.
    # BENCH_TRIGGERER_SIZES=500,2000 overrides the sizes.
    tiny = size == "tiny"
    sizes: tuple[int, ...] = {"tiny": (20, 40), "quick": (500,)}.get(size, (500, 2000, 5000))
    if os.environ.get("BENCH_TRIGGERER_SIZES"):
        sizes = tuple(int(n) for n in os.environ["BENCH_TRIGGERER_SIZES"].split(","))
    rate = 10 if tiny else POLLS_PER_S
    server = TriggerServerProcess()
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-triggerer-") as home:
        env = _airflow_env(home, server)
        try:
            Path(home, "dags").mkdir()
            Path(home, "dags", f"{DAG_ID}.py").write_text(DAG_FILE)
            _airflow(env, "db", "migrate")
            _airflow(env, "dags", "reserialize")
            idle = _idle_rss(env, home, 10 if tiny else 20)
            for count in sizes:
                interval = max(1.0, count / rate)
                # Interleaved: which side goes first alternates with the size.
                order: tuple[str, ...] = ("ours", "http") if count % 2 == 0 else ("http", "ours")
                # What the triggerer itself spends per deferred trigger (the floor under both sides).
                order += ("floor",)
                for side in order:
                    results[(side, count)] = _measure(server, env, home, side, count, interval)
                    print(f"  row 9: {side} x {count}: {results[(side, count)]}", file=sys.stderr)
        finally:
            server.close()
    rows = []
    for count in sizes:
        interval = max(1.0, count / rate)
        http = results[("http", count)]
        http_kb = (http["rss_mb"] - idle) * 1024 / count
        floor = results.get(("floor", count))
        floor_kb = None
        if floor is not None:
            floor_kb = (floor["rss_mb"] - idle) * 1024 / count
            rows.append(
                {
                    "row": 9,
                    "what": f"{count:,} x {FLOOR} (floor)",
                    "seconds": floor["cpu_per_1000"],
                    "ratio": floor["cpu_per_1000"] / http["cpu_per_1000"],
                    "note": (
                        "what the triggerer spends holding the triggers, no polls: CPU s over the same "
                        f"{floor['window']:.0f} s window per 1,000 of the other sides' polls "
                        f"({count / interval:g}/s); RSS {floor_kb:.0f} KB per trigger "
                        f"({floor_kb / http_kb:.2f}x HttpSensor's; tree {floor['rss_mb']:.0f} MB, "
                        f"idle {idle:.0f} MB)"
                    ),
                }
            )
        for side, name in (("http", HTTP), ("ours", OURS)):
            r = results[(side, count)]
            per_trigger_kb = (r["rss_mb"] - idle) * 1024 / count
            own = ""
            if floor_kb is not None and side == "ours" and http_kb > floor_kb:
                own = (
                    f"; above the floor: {per_trigger_kb - floor_kb:.0f} KB against HttpSensor's "
                    f"{http_kb - floor_kb:.0f} KB ({(per_trigger_kb - floor_kb) / (http_kb - floor_kb):.2f}x)"
                )
                assert floor is not None
                above, http_above = (
                    r["cpu_per_1000"] - floor["cpu_per_1000"],
                    http["cpu_per_1000"] - floor["cpu_per_1000"],
                )
                if http_above > 0:
                    ratio = above / http_above
                    own += f"; CPU above the floor {above:.2f} s against {http_above:.2f} s ({ratio:.2f}x)"
            goal = " (goal: <= 0.33x CPU, <= 0.5x RSS; p99 < 1 s at 2,000; handshakes by pool)" * (
                side == "ours"
            )
            rows.append(
                {
                    "row": 9,
                    "title": "a triggerer full of sensors",
                    "what": f"{count:,} x {name}",
                    "seconds": r["cpu_per_1000"],
                    "ratio": r["cpu_per_1000"] / http["cpu_per_1000"],
                    "note": (
                        f"triggerer CPU s per 1,000 polls; RSS {per_trigger_kb:.0f} KB per trigger "
                        f"({per_trigger_kb / http_kb:.2f}x HttpSensor's; tree {r['rss_mb']:.0f} MB, idle "
                        f"{idle:.0f} MB{own}); "
                        f"lateness p50 {r['late_p50']:.3f} s, p99 {r['late_p99']:.3f} s; "
                        f"{r['handshakes']} TLS handshakes for {r['polls']} polls in the {r['window']:.0f} s "
                        f"window ({r['all_handshakes']} for {r['all_polls']} since the triggerer started); "
                        f"one poll per trigger every {interval:g} s{goal}"
                    ),
                    "points": [
                        {
                            "series": name,
                            "size": count,
                            "unit": "deferred triggers",
                            "seconds": r["cpu_per_1000"],
                            "peak_rss_mb": per_trigger_kb / 1024,
                            "rss_label": "RSS per trigger, MB",
                            "rss_title": "RSS per trigger",
                            "seconds_label": "CPU s per 1,000 polls",
                            "seconds_title": "triggerer CPU",
                            "late_p50": r["late_p50"],
                            "late_p99": r["late_p99"],
                        }
                    ],
                }
            )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--defer"]:
        side, count, interval, tag, spread = sys.argv[2:7]
        _defer(side, int(count), float(interval), tag, float(spread))
    elif sys.argv[1:2] == ["--clear"]:
        _clear()
    else:
        for row in run(size="tiny" if "--tiny" in sys.argv else "full"):
            print({k: v for k, v in row.items() if k != "points"})
