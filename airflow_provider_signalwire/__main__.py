"""Command line: ``python -m airflow_provider_signalwire permissions DAG_FILE [--conn-id ID] [--json]``:
the API token permissions a DAG file's SignalWire tasks need."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _permissions(args: argparse.Namespace) -> int:
    from airflow_provider_signalwire.permissions import dag_file_permissions

    try:
        reports = dag_file_permissions(args.dag_file, args.conn_id)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if not reports:
        print(f"{args.dag_file} defines no DAG", file=sys.stderr)
        return 2
    if args.json:
        out = {
            dag_id: {
                "needed": [sorted(option) for option in report.requirement],
                "tasks": {t: [sorted(o) for o in req] for t, req in sorted(report.by_task.items())},
                "unknown": report.unknown,
            }
            for dag_id, report in reports.items()
        }
        print(json.dumps(out, indent=2))
    else:
        for dag_id, report in reports.items():
            print(dag_id)
            for line in report.lines():
                print(f"  {line}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_signalwire")
    subparsers = parser.add_subparsers(dest="command", required=True)
    p = subparsers.add_parser(
        "permissions", help="the API token permissions a DAG file's SignalWire tasks need"
    )
    p.add_argument("dag_file", help="a DAG file (or folder)")
    p.add_argument("--conn-id", default=None, help="only the tasks on this SignalWire connection")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_permissions)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
