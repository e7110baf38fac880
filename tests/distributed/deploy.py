"""The distributed deployment: PostgreSQL, Redis, moto's S3, the fake space and Airflow 3.3 with
CeleryExecutor as separate processes, all on 127.0.0.1, everything under build/distributed/.

    python tests/distributed/deploy.py up        # (re)start everything from scratch; prints the state
    python tests/distributed/deploy.py down      # stop everything (also what a failed `up` does)
    python tests/distributed/deploy.py status    # which component runs, with its pid
    python tests/distributed/deploy.py kill NAME | start NAME | restart NAME

Run by tests/distributed/up.sh / down.sh / run.sh with the venv build/.venv-dist. The tests import this
module for the state (ports, env) and to kill / restart components. Standard library only (plus psutil,
which Airflow brings), so the harness itself needs nothing extra.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import urlsafe_b64encode
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = Path(os.environ.get("DIST_BUILD", REPO / "build" / "distributed"))
VENV = Path(os.environ.get("DIST_VENV", REPO / "build" / ".venv-dist"))
BIN = VENV / "bin"
STATE = BUILD / "state.json"
PG_BIN = Path(os.environ.get("DIST_PG_BIN", "/usr/lib/postgresql/15/bin"))
BUCKET = "signalwire-dist"
DATASPHERE_PREFIX = "knowledge-base/"
WORKERS = ("worker-1", "worker-2")
TRIGGERERS = ("triggerer-1", "triggerer-2")
AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", *TRIGGERERS, *WORKERS)


def log(msg: str) -> None:
    print(f"[dist {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_state() -> dict[str, Any]:
    return json.loads(STATE.read_text()) if STATE.exists() else {}


def save_state(state: dict[str, Any]) -> None:
    STATE.write_text(json.dumps(state, indent=2))


def _pg_user() -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as dead
        import psutil

        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except Exception:
        return True


def _tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_tree(pid: int, sig: int = signal.SIGKILL, grace: float = 0.0) -> None:
    """``sig`` to ``pid``'s process group (it was started with setsid) and every descendant; with a grace
    period after a TERM, then KILL what is left."""
    procs = _tree(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    for p in procs:
        with contextlib.suppress(Exception):
            p.send_signal(sig)
    if grace:
        import psutil

        _, alive = psutil.wait_procs(procs, timeout=grace)
        for p in alive:
            with contextlib.suppress(Exception):
                p.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


# ------------------------------------------------------------------------------------------ spawning


def spawn(state: dict[str, Any], name: str, argv: list[str], env_extra: dict[str, str] | None = None) -> int:
    """Start ``argv`` in its own session (process group), output appended to logs/<name>.log."""
    env = {**os.environ, **state["env"], **(env_extra or {})}
    logs = BUILD / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "a") as out:
        out.write(f"\n===== {time.strftime('%H:%M:%S')} start {' '.join(argv)}\n")
        out.flush()
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=str(REPO),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    state.setdefault("procs", {})[name] = {"pid": proc.pid, "argv": argv, "env": env_extra or {}}
    save_state(state)
    return proc.pid


def component_argv(state: dict[str, Any], name: str) -> tuple[list[str], dict[str, str]]:
    airflow = str(BIN / "airflow")
    ports = state["ports"]
    if name == "api-server":
        return [
            airflow,
            "api-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["api"]),
            "--workers",
            "1",
        ], {}
    if name in ("scheduler", "dag-processor"):
        return [airflow, name], {}
    if name in TRIGGERERS:
        return [airflow, "triggerer"], {
            "DIST_HOSTNAME": name,
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports[name]),
        }
    if name in WORKERS:
        return [
            airflow,
            "celery",
            "worker",
            "--celery-hostname",
            f"{name}@%h",
            "--concurrency",
            "2",
            "--skip-serve-logs",
        ], {"DIST_HOSTNAME": name}
    raise KeyError(name)


def start(name: str) -> int:
    state = load_state()
    if name == "postgres":
        pg_start(state)
        return 0
    if name == "redis":
        return redis_start(state)
    argv, extra = component_argv(state, name)
    # Each Airflow component runs under `deploy.py supervise` (as under systemd's Restart=always or a
    # Kubernetes restartPolicy): Airflow 3.3.2's scheduler and triggerer exit when the database restarts.
    return spawn(
        state,
        name,
        [str(BIN / "python"), str(Path(__file__).resolve()), "supervise", name, "--", *argv],
        extra,
    )


def supervise(name: str, argv: list[str]) -> int:
    """Run ``argv``; start it again 2 s after it exits, until this process gets SIGTERM/SIGINT. Killing the
    process group (``kill``) ends both, like a machine dying."""
    stopping = False
    child: subprocess.Popen | None = None

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    restarts = 0
    while True:
        child = subprocess.Popen(argv)
        rc = child.wait()
        if stopping:
            return rc
        restarts += 1
        log(f"supervise: {name} exited with {rc}; starting it again (restart {restarts})")
        time.sleep(2)
        if stopping:
            return rc


def kill(name: str, sig: int = signal.SIGKILL) -> None:
    state = load_state()
    if name == "postgres":
        pg_stop(state, mode="immediate")
        return
    info = state.get("procs", {}).get(name)
    if info:
        kill_tree(info["pid"], sig)
        info["pid"] = None
        save_state(state)


def restart(name: str) -> None:
    state = load_state()
    if name == "postgres":
        _run(
            [
                *_pg_user(),
                str(PG_BIN / "pg_ctl"),
                "-D",
                state["pg"]["data"],
                "-m",
                "fast",
                "-w",
                "restart",
                "-o",
                pg_options(state),
                "-l",
                state["pg"]["log"],
            ]
        )
        return
    if name == "redis":
        redis_stop(state)
        redis_start(state)
        return
    kill(name, signal.SIGTERM)
    time.sleep(1)
    kill(name)
    start(name)


# ------------------------------------------------------------------------------------------ services


def pg_options(state: dict[str, Any]) -> str:
    pg = state["pg"]
    return (
        f"-p {state['ports']['postgres']} -h 127.0.0.1 -k {pg['sock']} -c max_connections=300 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )


def pg_start(state: dict[str, Any]) -> None:
    pg = state["pg"]
    _run(
        [
            *_pg_user(),
            str(PG_BIN / "pg_ctl"),
            "-D",
            pg["data"],
            "-o",
            pg_options(state),
            "-l",
            pg["log"],
            "-w",
            "-t",
            "60",
            "start",
        ]
    )


def pg_stop(state: dict[str, Any], mode: str = "fast") -> None:
    pg = state.get("pg")
    if pg and Path(pg["data"], "postmaster.pid").exists():
        subprocess.run(
            [*_pg_user(), str(PG_BIN / "pg_ctl"), "-D", pg["data"], "-m", mode, "-w", "stop"],
            capture_output=True,
            text=True,
        )


def pg_init(state: dict[str, Any]) -> None:
    root = BUILD / "pg"
    data, sock = root / "data", root / "sock"
    sock.mkdir(parents=True)
    state["pg"] = {"data": str(data), "sock": str(sock), "log": str(root / "postgres.log")}
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    _run(
        [
            *_pg_user(),
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]
    )
    pg_start(state)
    _run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(state["ports"]["postgres"]),
            "-U",
            "postgres",
            "-c",
            "CREATE DATABASE airflow",
        ]
    )


def redis_start(state: dict[str, Any]) -> int:
    rdir = BUILD / "redis"
    rdir.mkdir(exist_ok=True)
    # appendonly: queued Celery messages survive a restart, as on any production broker.
    argv = [
        "redis-server",
        "--port",
        str(state["ports"]["redis"]),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(rdir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--protected-mode",
        "no",
    ]
    pid = spawn(state, "redis", argv)
    for _ in range(100):
        if (
            subprocess.run(
                ["redis-cli", "-p", str(state["ports"]["redis"]), "ping"], capture_output=True, text=True
            ).stdout.strip()
            == "PONG"
        ):
            return pid
        time.sleep(0.1)
    raise RuntimeError("redis did not answer PING")


def redis_stop(state: dict[str, Any]) -> None:
    """A clean shutdown (the AOF is flushed), then make sure the process is gone."""
    subprocess.run(["redis-cli", "-p", str(state["ports"]["redis"]), "shutdown"], capture_output=True)
    info = state.get("procs", {}).get("redis")
    if info and info.get("pid"):
        for _ in range(50):
            if not _alive(info["pid"]):
                break
            time.sleep(0.1)
        kill_tree(info["pid"])


# ------------------------------------------------------------------------------------------ up / down


def _http_ok(url: str, timeout: float = 3) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return 200 <= r.status < 300
    except Exception:
        return False


def _wait(what: str, check: Any, deadline_s: float, state: dict[str, Any]) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        dead = [n for n, p in state.get("procs", {}).items() if p.get("pid") and not _alive(p["pid"])]
        if dead:
            raise RuntimeError(f"{what}: {dead} exited; see {BUILD / 'logs'}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not after {deadline_s:.0f}s; see {BUILD / 'logs'}")
        time.sleep(0.5)


def make_dags_folder() -> Path:
    dags = BUILD / "dags"
    dags.mkdir(parents=True)
    for src in [*(REPO / "dags_examples").glob("*.py"), *(HERE / "dags").glob("*.py")]:
        if src.name != "__init__.py":
            shutil.copy(src, dags / src.name)
    return dags


def airflow_env(state: dict[str, Any]) -> dict[str, str]:
    p = state["ports"]
    api = f"http://127.0.0.1:{p['api']}"
    db = f"postgresql+psycopg2://postgres@127.0.0.1:{p['postgres']}/airflow"
    return {
        "AIRFLOW_HOME": str(BUILD / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{p['redis']}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db.replace("+psycopg2", ""),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        # One secret set for every component (the API server signs task tokens the workers present).
        "AIRFLOW__CORE__FERNET_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(p["api"]),
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(BUILD / "dags"),
        "AIRFLOW__CORE__PARALLELISM": "16",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "16",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "dist_hostname.hostname",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        # A task whose worker died is failed (and retried) after this many seconds without heartbeat.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
        # A triggerer that stopped heartbeating loses its triggers to the other one after this.
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "20",
        "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
        "AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(
            {"connections_file_path": str(BUILD / "secrets" / "connections.json")}
        ),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(BUILD / "lineage" / "events.jsonl"), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "signalwire-distributed",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(p["worker_logs"]),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "SIGNALWIRE_EXPORTS_URL": f"file://{BUILD / 'exports'}",
        "SIGNALWIRE_RECORDINGS_URL": f"file://{BUILD / 'recordings'}/",
        "SIGNALWIRE_RECORDINGS_POLL_INTERVAL": "2",
        "DIST_S3_BUCKET": BUCKET,
        "SIGNALWIRE_DATASPHERE_SOURCE": f"s3://aws_default@{BUCKET}/{DATASPHERE_PREFIX}",
        "PYTHONPATH": str(HERE / "support"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "400",
        "PYTHONUNBUFFERED": "1",
    }


def write_secrets(state: dict[str, Any]) -> None:
    fake = json.loads((BUILD / "fake.json").read_text())
    folder = BUILD / "secrets"
    folder.mkdir()
    conns = {
        "signalwire_default": fake["conn"],
        "aws_default": {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {
                "endpoint_url": f"http://127.0.0.1:{state['ports']['moto']}",
                "region_name": "us-east-1",
            },
        },
    }
    path = folder / "connections.json"
    path.write_text(json.dumps(conns, indent=2))
    path.chmod(0o600)


def up() -> dict[str, Any]:
    t0 = time.monotonic()
    down(quiet=True)
    if BUILD.exists():
        shutil.rmtree(BUILD)
    BUILD.mkdir(parents=True)
    for sub in ("logs", "exports", "recordings", "lineage"):
        (BUILD / sub).mkdir()
    names = ["postgres", "redis", "moto", "api", "fake", "fake_control", "worker_logs", *TRIGGERERS]
    state: dict[str, Any] = {"ports": {n: free_port() for n in names}, "procs": {}, "env": {}}
    save_state(state)
    try:
        pg_init(state)
        save_state(state)
        log(f"postgres on 127.0.0.1:{state['ports']['postgres']} ({time.monotonic() - t0:.0f}s)")
        redis_start(state)
        log(f"redis on 127.0.0.1:{state['ports']['redis']}")
        spawn(state, "moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(state["ports"]["moto"])])
        spawn(
            state,
            "fake-space",
            [
                str(BIN / "python"),
                str(HERE / "fake_space.py"),
                "--info-file",
                str(BUILD / "fake.json"),
                "--control-port",
                str(state["ports"]["fake_control"]),
            ],
        )
        _wait("moto", lambda: _http_ok(f"http://127.0.0.1:{state['ports']['moto']}/moto-api/"), 60, state)
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{state['ports']['moto']}/{BUCKET}", method="PUT"),
            timeout=10,
        ).close()
        upload_datasphere_samples(state)
        log(f"moto S3 on 127.0.0.1:{state['ports']['moto']}, bucket {BUCKET}")
        _wait("fake space", lambda: (BUILD / "fake.json").exists(), 60, state)
        state["fake"] = json.loads((BUILD / "fake.json").read_text())
        log(f"fake space {state['fake']['base_url']} (control {state['fake']['control_url']})")
        write_secrets(state)
        make_dags_folder()
        state["env"] = airflow_env(state)
        save_state(state)
        env = {**os.environ, **state["env"]}
        _run([str(BIN / "airflow"), "db", "migrate"], env=env, cwd=str(REPO), timeout=600)
        log(f"airflow db migrate done ({time.monotonic() - t0:.0f}s)")
        for name in AIRFLOW_COMPONENTS:
            start(name)
        state = load_state()
        api = f"http://127.0.0.1:{state['ports']['api']}"

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{api}/api/v2/monitor/health", timeout=3) as r:
                    h = json.loads(r.read())
            except Exception:
                return False
            return all(
                h.get(k, {}).get("status") == "healthy"
                for k in ("metadatabase", "scheduler", "triggerer", "dag_processor")
            )

        _wait("airflow health", healthy, 240, state)

        def workers_ready() -> bool:
            return all("ready." in (BUILD / "logs" / f"{w}.log").read_text(errors="replace") for w in WORKERS)

        _wait("celery workers ready", workers_ready, 180, state)
        pw = BUILD / "airflow" / "simple_auth_manager_passwords.json.generated"
        _wait("admin password file", pw.exists, 60, state)
        state["admin_password"] = json.loads(pw.read_text())["admin"]
        state["api_url"] = api
        state["up_seconds"] = round(time.monotonic() - t0, 1)
        save_state(state)
        write_env_sh(state)
        log(f"up in {state['up_seconds']}s: {api}  (state {STATE}, env {BUILD / 'env.sh'})")
        return state
    except BaseException:
        log("up failed: stopping everything it started")
        tail_logs()
        down()
        raise


def upload_datasphere_samples(state: dict[str, Any]) -> None:
    """The sample knowledge base under ``knowledge-base/`` in the bucket: ``signalwire_datasphere_sync``
    syncs it from S3 here (presigned URLs the fake space fetches from moto)."""
    from airflow_provider_signalwire.testing.datasphere.samples import SAMPLE_DOCUMENTS

    for name, text in SAMPLE_DOCUMENTS.items():
        url = f"http://127.0.0.1:{state['ports']['moto']}/{BUCKET}/{DATASPHERE_PREFIX}{name}"
        request = urllib.request.Request(url, data=text.encode(), method="PUT")
        urllib.request.urlopen(request, timeout=10).close()


def write_env_sh(state: dict[str, Any]) -> None:
    lines = [f"export {k}={shlex_quote(v)}" for k, v in state["env"].items()]
    (BUILD / "env.sh").write_text("\n".join(lines) + "\n")


def shlex_quote(v: str) -> str:
    import shlex

    return shlex.quote(v)


def tail_logs(lines: int = 15) -> None:
    for path in sorted((BUILD / "logs").glob("*.log")) if (BUILD / "logs").exists() else []:
        text = path.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {path.name}\n" + "\n".join(text), file=sys.stderr)


def down(quiet: bool = False) -> None:
    state = load_state()
    procs = state.get("procs", {})
    # Airflow first (TERM, a short grace, then KILL), then the services it uses.
    order = [n for n in procs if n not in ("redis", "moto", "fake-space")] + ["fake-space", "moto"]
    # TERM every Airflow tree at once, one grace period for all, then KILL what is left.
    airflow_procs = []
    for name in order:
        info = procs.get(name)
        if info and info.get("pid") and _alive(info["pid"]):
            airflow_procs += _tree(info["pid"])
            kill_tree(info["pid"], signal.SIGTERM)
    if airflow_procs:
        import psutil

        _, alive = psutil.wait_procs(airflow_procs, timeout=8)
        for p in alive:
            with contextlib.suppress(Exception):
                p.kill()
        for name in order:
            info = procs.get(name)
            if info and info.get("pid"):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(info["pid"], signal.SIGKILL)
    if "ports" in state and procs.get("redis"):
        redis_stop(state)
    pg_stop(state, mode="immediate")
    # Anything still running from this build folder (e.g. a component restarted by a test).
    try:
        import psutil

        mine = str(BUILD)
        for p in psutil.process_iter(["pid", "environ", "cmdline"]):
            try:
                env = p.info.get("environ") or {}
                if env.get("AIRFLOW_HOME", "").startswith(mine) and p.pid != os.getpid():
                    p.kill()
            except Exception:
                pass
    except ImportError:
        pass
    if state:
        for info in procs.values():
            info["pid"] = None
        save_state(state)
    if not quiet:
        log("down: everything stopped")


def status() -> dict[str, Any]:
    state = load_state()
    return {n: (p.get("pid") if _alive(p.get("pid")) else None) for n, p in state.get("procs", {}).items()}


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    if cmd == "up":
        up()
    elif cmd == "down":
        down()
    elif cmd == "status":
        print(json.dumps(status(), indent=2))
    elif cmd == "supervise":
        return supervise(argv[1], argv[3:])
    elif cmd in ("kill", "start", "restart"):
        {"kill": kill, "start": start, "restart": restart}[cmd](argv[1])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
