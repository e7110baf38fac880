"""A small knowledge base to sync in demos and end-to-end tests (``signalwire_datasphere_sync``)."""

from __future__ import annotations

import os
from pathlib import Path

SAMPLE_DOCUMENTS = {
    "returns.txt": (
        "Returns are free within thirty days of delivery. Refunds reach your card within five business "
        "days.\n\nItems bought on sale can be exchanged but not refunded."
    ),
    "support/hours.txt": (
        "Our support team answers calls from nine to five, Monday to Friday. Messages sent after hours "
        "are answered the next business day."
    ),
    "support/shipping.txt": (
        "Standard shipping takes three to five days. Express shipping arrives the next day when ordered "
        "before noon."
    ),
}


def write_samples(folder: str | os.PathLike[str]) -> list[Path]:
    """Write :data:`SAMPLE_DOCUMENTS` under ``folder`` (unchanged files are left alone); returns the paths."""
    written = []
    for name, text in SAMPLE_DOCUMENTS.items():
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written
