"""Helpers of the distributed checks: a REST client for the deployment's API server, the fake space's
control API, waiting and timing. Imported by conftest.py and the test modules (not named conftest, so
it never collides with tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import deploy

TIMINGS: list[tuple[str, float]] = []
FIGURES: list[str] = []  # what the checks measured, printed with the timings at the end


def figure(line: str) -> None:
    FIGURES.append(line)
    print(f"[dist] {line}", flush=True)


class timed:
    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> timed:
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self.t0
        TIMINGS.append((self.name, seconds))
        print(f"[dist] {self.name}: {seconds:.1f}s", flush=True)


def q(value: str) -> str:
    return quote(value, safe="")


def wait_until(check: Callable[[], Any], what: str, deadline_s: float = 180, every: float = 1.0) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {deadline_s:.0f}s\n{log_tails()}")
        time.sleep(every)


def log_tails(lines: int = 12) -> str:
    out = []
    for path in sorted((deploy.BUILD / "logs").glob("*.log")):
        text = path.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"--- {path.name}\n" + "\n".join(text))
    return "\n".join(out)


def worker_ready(name: str, since: int) -> bool:
    text = (deploy.BUILD / "logs" / f"{name}.log").read_text(errors="replace")
    return "ready." in text[since:]


def restart_component(name: str) -> None:
    """Start ``name`` again after a kill and wait until it is usable."""
    path = deploy.BUILD / "logs" / f"{name}.log"
    offset = len(path.read_text(errors="replace")) if path.exists() else 0
    deploy.start(name)
    if name in deploy.WORKERS:
        wait_until(lambda: worker_ready(name, offset), f"{name} ready again", 120)


def tls_connections(
    tis: list[dict[str, Any]], ids: list[str], api: list[dict[str, Any]], media: list[dict[str, Any]]
) -> Counter[str]:
    """TLS connections per worker for mapped recording downloads (``ids[map_index]`` each), counted from
    the fake's request logs since the run began (a client address is one connection). Airflow 3 runs each
    task in a process of its own: each opens at most one to the API host and one to the media host."""
    per_worker: Counter[str] = Counter()
    for ti in tis:
        rec = ids[ti["map_index"]]
        clients = {("api", r["client"]) for r in api if r["path"].endswith(f"/room_recordings/{rec}")}
        clients |= {("media", r["client"]) for r in media if rec in r["path"]}
        assert all(c for _, c in clients) and len(clients) <= 2, (rec, clients)
        per_worker[ti["hostname"]] += len(clients)
    return per_worker


def _cpu(process: Any) -> float:
    try:
        t = process.cpu_times()
    except Exception:  # it just ended
        return 0.0
    return t.user + t.system + t.children_user + t.children_system


def cpu_seconds_by_component() -> dict[str, float]:
    """CPU seconds so far of each process tree the deployment started (a tree's ended and reaped
    processes included: a Celery worker's task processes count under the worker), by component;
    PostgreSQL's server processes under ``postgres``."""
    import psutil

    out = {
        name: sum(_cpu(p) for p in deploy._tree(info["pid"]))
        for name, info in deploy.load_state().get("procs", {}).items()
        if info.get("pid")
    }
    out["postgres"] = sum(
        _cpu(p) for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")
    )
    return out


class Airflow:
    """A REST client for the deployment's API server (simple auth manager, admin token)."""

    def __init__(self, state: dict[str, Any]) -> None:
        import requests

        self.state = state
        self.base_url = state["api_url"]
        self._requests = requests
        self.session = requests.Session()
        self.login()

    def login(self) -> None:
        answer = self._requests.post(
            f"{self.base_url}/auth/token",
            json={"username": "admin", "password": self.state["admin_password"]},
            timeout=20,
        )
        assert answer.status_code in (200, 201), answer.text
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def api(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 30)
        last: Any = None
        for attempt in range(8):
            try:
                response = self.session.request(method, f"{self.base_url}/api/v2{path}", **kwargs)
            except self._requests.RequestException as exc:  # API server busy or its DB restarting
                last = exc
                time.sleep(min(2**attempt, 8))
                continue
            if response.status_code == 401:
                self.login()
                continue
            if response.status_code >= 500 and response.status_code not in ok:
                last = response
                time.sleep(min(2**attempt, 8))
                continue
            break
        else:
            raise AssertionError(f"{method} {path}: {last!r} {getattr(last, 'text', '')[:500]}")
        if response.status_code not in ok:
            raise AssertionError(f"{method} /api/v2{path} -> {response.status_code}: {response.text[:2000]}")
        if not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text

    # -- DAGs and runs

    def wait_for_dag(self, dag_id: str, deadline_s: float = 120) -> None:
        def parsed() -> bool:
            dag = self.api("GET", f"/dags/{dag_id}", ok=(200, 404))
            return isinstance(dag, dict) and dag.get("dag_id") == dag_id

        wait_until(parsed, f"DAG {dag_id} parsed", deadline_s, every=2)

    def unpause(self, dag_id: str) -> None:
        self.wait_for_dag(dag_id)
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self.unpause(dag_id)
        run = self.api(
            "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}}, ok=(200, 201)
        )
        return str(run["dag_run_id"])

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{q(run_id)}")

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"]

    def wait_run(self, dag_id: str, run_id: str, deadline_s: float = 300) -> dict[str, Any]:
        def done() -> Any:
            run = self.run(dag_id, run_id)
            return run if run["state"] in ("success", "failed") else None

        return wait_until(done, f"{dag_id} {run_id} finished", deadline_s, every=2)

    def tis(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run (the API answers at most 100 per page)."""
        out: list[dict[str, Any]] = []
        while True:
            page = self.api(
                "GET",
                f"/dags/{dag_id}/dagRuns/{q(run_id)}/taskInstances",
                params={"limit": 100, "offset": len(out)},
            )
            out += page["task_instances"]
            if not page["task_instances"] or len(out) >= page["total_entries"]:
                return out

    def all_tis(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.api(
                "GET", "/dags/~/dagRuns/~/taskInstances", params={"limit": 100, "offset": len(out)}
            )
            out += page["task_instances"]
            if not page["task_instances"] or len(out) >= page["total_entries"]:
                return out

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[dict[str, Any]]:
        path = f"/dags/{dag_id}/dagRuns/{q(run_id)}/taskInstances/{q(task_id)}"
        if map_index >= 0:
            path += f"/{map_index}"
        return self.api("GET", f"{path}/tries")["task_instances"]

    def log(self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
        params: dict[str, Any] = {"full_content": "true"}
        if map_index >= 0:
            params["map_index"] = map_index
        answer = self.api(
            "GET",
            f"/dags/{dag_id}/dagRuns/{q(run_id)}/taskInstances/{q(task_id)}/logs/{try_number}",
            params=params,
            headers={"Accept": "application/json"},
        )
        return answer if isinstance(answer, str) else json.dumps(answer)

    def xcom(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> Any:
        params = {"map_index": map_index} if map_index >= 0 else {}
        entry = self.api(
            "GET",
            f"/dags/{dag_id}/dagRuns/{q(run_id)}/taskInstances/{q(task_id)}/xcomEntries/return_value",
            params=params,
        )
        value = entry["value"]
        return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


class Fake:
    """The fake space's control API (tests/distributed/fake_space.py)."""

    def __init__(self, info: dict[str, Any]) -> None:
        import requests

        self.info = info
        self.url = info["control_url"]
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(f"{self.url}{path}", params=params, timeout=30)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, **body: Any) -> Any:
        r = self.http.post(f"{self.url}{path}", json=body, timeout=30)
        r.raise_for_status()
        return r.json()

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        return self.get("/requests", since=since)

    def count(self) -> int:
        return len(self.requests())
