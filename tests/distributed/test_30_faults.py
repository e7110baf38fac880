"""Faults on the distributed deployment, each checked against what the fake space recorded.

- A Celery worker is killed (-9, its whole process tree) while SendMessageOperator is between recipients;
  the task is retried on the other worker; every recipient has exactly one message.
- A triggerer is killed (-9) while sensors are deferred and the asset watcher polls; the other triggerer
  takes the triggers over; every sensor finishes, and a new recording still gives exactly one run.
- PostgreSQL is restarted during a run; the run finishes.
- Redis is restarted while tasks sit queued in it (both workers stopped); they still run.
- Mapped sends from one number over both workers keep the number's pace in its pool (sender_pool), and
  break it without (the control that shows the check can fail).
Each test puts the deployment back as it found it (the killed component is started again).
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import deploy
from dist_support import Airflow, Fake, figure, q, restart_component, timed, wait_until


def signal_tree(name: str, sig: int) -> None:
    info = deploy.load_state()["procs"][name]
    for proc in deploy._tree(info["pid"]):
        with contextlib.suppress(Exception):
            proc.send_signal(sig)


def messages_for(fake: Fake, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The fake's messages whose body names this run, by recipient."""
    out: dict[str, list[dict[str, Any]]] = {}
    for message in fake.get("/state/messages").values():
        if run_id in (message.get("body") or ""):
            out.setdefault(message["to"], []).append(message)
    return out


def test_worker_killed_between_recipients_retry_sends_each_once(airflow: Airflow, fake: Fake) -> None:
    recipients = [f"+1202555{n:04d}" for n in range(300, 306)]
    prefix = f"/api/laml/2010-04-01/Accounts/{fake.info['project_id']}/Messages"
    fake.post("/fault", path_prefix=prefix, kind="delay", count=6, delay=2.5, method="POST")
    since = fake.count()
    try:
        with timed("faults: worker killed mid-list, retried on the other worker"):
            run_id = airflow.trigger("dist_send_slow", {"to": recipients})

            def posts() -> list[dict[str, Any]]:
                return [
                    r
                    for r in fake.requests(since)
                    if r["method"] == "POST"
                    and r["path"].startswith(prefix)
                    and run_id in parse_qs(r["body"]).get("Body", [""])[0]
                ]

            wait_until(lambda: len(posts()) >= 2, "two recipients posted", 120, every=0.2)
            (ti,) = airflow.tis("dist_send_slow", run_id)
            victim = ti["hostname"]
            assert victim in deploy.WORKERS, ti
            posted_before_kill = [parse_qs(r["body"])["To"][0] for r in posts()]
            deploy.kill(victim)
            print(
                f"[dist] killed {victim} after {len(posted_before_kill)} POSTs: {posted_before_kill}",
                flush=True,
            )
            run = airflow.wait_run("dist_send_slow", run_id, 300)
    finally:
        fake.post("/clear_faults")
        restart_component(victim)
    tries = airflow.tries("dist_send_slow", run_id, "send")
    hosts = [(t["try_number"], t["hostname"], t["state"]) for t in tries]
    print(f"[dist] tries: {hosts}", flush=True)
    assert run["state"] == "success", hosts
    last = max(tries, key=lambda t: t["try_number"])
    assert last["hostname"] != victim and last["hostname"] in deploy.WORKERS, hosts
    by_recipient = messages_for(fake, run_id)
    assert {to: len(m) for to, m in by_recipient.items()} == {to: 1 for to in recipients}, by_recipient
    result = airflow.xcom("dist_send_slow", run_id, "send")
    deduplicated = sorted(r["to"] for r in result if r["deduplicated"])
    # Every recipient the dead worker posted (answered or not) was found again, not sent twice.
    assert set(posted_before_kill) <= set(deduplicated), (posted_before_kill, deduplicated)
    print(
        f"[dist] found already sent by the retry: {deduplicated}; sent by the retry: "
        f"{sorted(set(recipients) - set(deduplicated))}",
        flush=True,
    )


def test_triggerer_killed_while_sensors_deferred(airflow: Airflow, fake: Fake) -> None:
    fake.post("/clock", action="freeze")
    try:
        conf = {
            "messages": [fake.post("/message")["sid"] for _ in range(2)],
            "calls": [fake.post("/call")["sid"] for _ in range(2)],
            "recordings": [fake.post("/session")["recording_id"]],
        }
        session = None
        with timed("faults: sensors deferred on both triggerers"):
            run_id = airflow.trigger("dist_sensors", conf)

            def all_deferred() -> Any:
                tis = airflow.tis("dist_sensors", run_id)
                return tis if len(tis) == 5 and all(t["state"] == "deferred" for t in tis) else None

            tis = wait_until(all_deferred, "all five sensors deferred", 180)
            time.sleep(6)  # the triggerers pick the triggers up
            tis = airflow.tis("dist_sensors", run_id)
            holders = [((t.get("triggerer_job") or {}).get("hostname")) for t in tis]
            print(f"[dist] triggers held by: {holders}", flush=True)
            known = [h for h in holders if h in deploy.TRIGGERERS]
            victim = max(set(known), key=known.count) if known else "triggerer-1"
        polls_before = fake.count()
        deploy.kill(victim)
        print(f"[dist] killed {victim}", flush=True)
        with timed("faults: the other triggerer takes the triggers over"):
            survivor = next(t for t in deploy.TRIGGERERS if t != victim)

            def taken_over() -> Any:
                tis = airflow.tis("dist_sensors", run_id)
                hosts = {(t.get("triggerer_job") or {}).get("hostname") for t in tis}
                return hosts == {survivor} or None

            wait_until(taken_over, f"{survivor} holds every sensor trigger", 120, every=2)
            # The sensors are polled again after the kill (by the survivor).
            wait_until(
                lambda: (
                    sum(
                        1
                        for r in fake.requests(polls_before)
                        if r["method"] == "GET"
                        and any(x in r["path"] for x in conf["messages"] + conf["calls"])
                    )
                    >= 4
                ),
                "the sensors polled after the kill",
                60,
            )
        fake.post("/clock", action="resume")
        fake.post("/clock", action="advance", seconds=60)
        session = fake.get("/state/recordings")[conf["recordings"][0]]["room_session_id"]
        fake.post("/end_session", session_id=session)
        with timed("faults: every sensor finished after the takeover"):
            run = airflow.wait_run("dist_sensors", run_id, 240)
        states = {t["task_id"]: t["state"] for t in airflow.tis("dist_sensors", run_id)}
        assert run["state"] == "success", states
        assert set(states.values()) == {"success"}, states

        # The asset watcher still gives exactly one run per new recording.
        dag_id = "signalwire_new_recordings"
        airflow.unpause(dag_id)
        rec = fake.post("/recording")["id"]

        def runs_for() -> list[str]:
            out = []
            for r in airflow.runs(dag_id):
                if r["run_type"] == "asset_triggered" and r["state"] in ("success", "failed"):
                    path = f"/dags/{dag_id}/dagRuns/{q(r['dag_run_id'])}/upstreamAssetEvents"
                    if any(
                        e["extra"]["payload"]["id"] == rec for e in airflow.api("GET", path)["asset_events"]
                    ):
                        out.append(r["dag_run_id"])
            return out

        with timed("faults: watcher after the triggerer kill"):
            wait_until(runs_for, "a run for the recording made after the kill", 120, every=2)
        time.sleep(6)
        assert len(runs_for()) == 1
    finally:
        fake.post("/clock", action="resume")
        if "victim" in locals():
            restart_component(victim)


def test_postgres_restarted_during_a_run(airflow: Airflow) -> None:
    with timed("faults: PostgreSQL restarted mid-run, the run finishes"):
        run_id = airflow.trigger("dist_chain")

        def step1_running() -> bool:
            return any(
                t["task_id"] == "step_1" and t["state"] == "running"
                for t in airflow.tis("dist_chain", run_id)
            )

        wait_until(step1_running, "step_1 running", 180, every=0.5)
        deploy.restart("postgres")
        print("[dist] postgres restarted", flush=True)
        run = airflow.wait_run("dist_chain", run_id, 300)
    alive = deploy.status()
    tis = {t["task_id"]: (t["state"], t["try_number"]) for t in airflow.tis("dist_chain", run_id)}
    restarted = {
        n: (deploy.BUILD / "logs" / f"{n}.log").read_text(errors="replace").count(f"supervise: {n} exited")
        for n in deploy.AIRFLOW_COMPONENTS
    }
    print(f"[dist] after the restart: {tis}; restarted by their supervisor: {restarted}", flush=True)
    assert run["state"] == "success", tis
    dead = [n for n in deploy.AIRFLOW_COMPONENTS if not alive.get(n)]
    assert not dead, f"components not running after the database restart: {dead}"


def test_redis_restarted_while_tasks_are_queued(airflow: Airflow, fake: Fake) -> None:
    for worker in deploy.WORKERS:
        signal_tree(worker, signal.SIGSTOP)
    try:
        with timed("faults: Redis restarted with tasks queued, they still run"):
            run_id = airflow.trigger("dist_fanout")

            def queued() -> Any:
                tis = [t for t in airflow.tis("dist_fanout", run_id) if t["map_index"] >= 0]
                return tis if len(tis) == 8 and all(t["state"] == "queued" for t in tis) else None

            wait_until(queued, "eight mapped tasks queued in Celery", 120)
            time.sleep(3)
            deploy.restart("redis")
            print("[dist] redis restarted", flush=True)
            for worker in deploy.WORKERS:
                signal_tree(worker, signal.SIGCONT)
            run = airflow.wait_run("dist_fanout", run_id, 300)
    finally:
        for worker in deploy.WORKERS:
            signal_tree(worker, signal.SIGCONT)
    tis = airflow.tis("dist_fanout", run_id)
    assert run["state"] == "success", [(t["map_index"], t["state"]) for t in tis]
    assert all(t["state"] == "success" and t["try_number"] == 1 for t in tis), tis
    print(f"[dist] fan-out hosts: {sorted(t['hostname'] for t in tis)}", flush=True)


POOLED_FROM, UNPOOLED_FROM = "+12025550160", "+12025550161"  # as in dags/dist_faults.py


def send_gaps(fake: Fake, since: int, number: str, run_id: str) -> list[float]:
    """Seconds between consecutive accepted messages from ``number`` in this run, as the fake got them."""
    times = sorted(
        datetime.fromisoformat(r["time"])
        for r in fake.requests(since)
        if r["method"] == "POST"
        and r["status"] == 201
        and r["path"].endswith("/Messages")
        and parse_qs(r["body"]).get("From") == [number]
        and run_id in parse_qs(r["body"]).get("Body", [""])[0]
    )
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def test_one_number_keeps_its_pace_across_workers_in_its_pool(airflow: Airflow, fake: Fake) -> None:
    from airflow_provider_signalwire.operators.messaging import sender_pool

    pool = sender_pool(POOLED_FROM)
    airflow.api("POST", "/pools", json={"name": pool, "slots": 1}, ok=(200, 201, 409))
    since = fake.count()
    with timed("sender pool: 4 mapped sends of 4 from one number, with and without its pool"):
        pooled = airflow.trigger("dist_sender_pool")
        unpooled = airflow.trigger("dist_sender_nopool")
        for dag_id, run_id in (("dist_sender_pool", pooled), ("dist_sender_nopool", unpooled)):
            assert airflow.wait_run(dag_id, run_id, 600)["state"] == "success", dag_id
    with_pool = send_gaps(fake, since, POOLED_FROM, pooled)
    without = send_gaps(fake, since, UNPOOLED_FROM, unpooled)
    hosts = {t["hostname"] for t in airflow.tis("dist_sender_pool", pooled)}
    figure(
        f"sender pool: smallest gaps between one number's sends {sorted(with_pool)[:3]} s with its pool "
        f"(tasks on {sorted(hosts)}), {sorted(without)[:3]} s without"
    )
    assert len(with_pool) == len(without) == 15
    # One a second per number; 0.1 s of slack for the way from the pacer's clock to the fake's.
    assert min(with_pool) >= 0.9, with_pool
    assert min(without) < 0.9, without  # the same sends without the pool do break the pace
