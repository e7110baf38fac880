"""Command line: ``python -m airflow_provider_signalwire.testing serve|demo``.

``serve`` starts a fake space, prints the ``export AIRFLOW_CONN_SIGNALWIRE_DEFAULT='...'``
line (JSON form), ``export AIRFLOW__CORE__TEST_CONNECTION=Enabled`` (Airflow disables connection
tests by default) and the ``airflow connections test`` command to try, and runs until Ctrl-C or
SIGTERM.
Subcommands are argparse subparsers: add one with a ``_add_<name>(subparsers)`` function
registered in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any


def _serve(args: argparse.Namespace) -> int:
    from airflow_provider_signalwire.testing.space import FakeSignalWireSpace

    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    # Before start(): a signal during start-up still ends in stop(), which removes the temp files.
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    space = FakeSignalWireSpace(seed=args.seed)
    try:
        space.start(port=args.port)
        print(f"export AIRFLOW_CONN_SIGNALWIRE_DEFAULT={shlex.quote(space.airflow_conn_json())}", flush=True)
        # Airflow refuses `airflow connections test` (and the UI's Test button) unless this is set.
        print("export AIRFLOW__CORE__TEST_CONNECTION=Enabled", flush=True)
        print("airflow connections test signalwire_default   # then try the connection", flush=True)
        print(f"# API: {space.base_url}  media: {space.media_base_url}", flush=True)
        print(f"# project: {space.project_id}  CA bundle: {space.ca_bundle}", flush=True)
        print("# Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        space.stop()
    return 0


def _add_serve(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="run a fake SignalWire space until Ctrl-C")
    p.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    p.add_argument(
        "--seed",
        choices=["demo"],
        default=None,
        help="pre-seed every family: rooms, sessions, recordings, messages, calls and logs",
    )
    p.set_defaults(func=_serve)


def _exit_on_signal(signum: int, frame: Any) -> None:
    """SIGTERM as a normal exit: ``with`` blocks and ``finally`` clauses remove the temp files."""
    sys.exit(128 + signum)


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from airflow_provider_signalwire.testing.demo import run_demo

    signal.signal(signal.SIGTERM, _exit_on_signal)  # SIGINT already raises KeyboardInterrupt

    folder = Path(args.dags_folder) if args.dags_folder else None
    return run_demo(dag_id=args.dag_id, dags_folder=folder, verbose=args.verbose)


def _add_demo(subparsers: Any) -> None:
    p = subparsers.add_parser("demo", help="run an example DAG with `airflow dags test` on a fake space")
    p.add_argument("--dag-id", default="signalwire_video_rooms", help="example DAG to run")
    p.add_argument(
        "--dags-folder",
        default=None,
        help="a DAGs folder (default: the example DAGs shipped in airflow_provider_signalwire.example_dags)",
    )
    p.add_argument("--verbose", action="store_true", help="print Airflow's own output too")
    p.set_defaults(func=_demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_signalwire.testing",
        description="An offline SignalWire space for tests and demos.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_serve(subparsers)
    _add_demo(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
