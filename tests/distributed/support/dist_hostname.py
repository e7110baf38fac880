"""``[core] hostname_callable`` for the distributed deployment: each component names itself.

Both Celery workers run on one machine, so ``socket.getfqdn()`` would give them the same hostname and
task instances could not show which worker ran them. Each worker gets ``DIST_HOSTNAME`` (worker-1,
worker-2); other components fall back to the machine's name.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("DIST_HOSTNAME") or socket.getfqdn()
