"""Server and worker processes the tests start, stopped the way a supervisor stops them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from typing import Any

GRACE_SECONDS = 15


def stop_all(processes: Iterable[subprocess.Popen[Any]]) -> None:
    """SIGTERM every process still running, then wait for each; one that outlives the grace
    period is killed."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
