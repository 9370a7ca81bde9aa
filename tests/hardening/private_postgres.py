"""A PostgreSQL cluster of one test's own, to kill with SIGKILL and start again.

initdb into a fresh directory (trust authentication, fsync on), the server on a free local port
with its unix socket beside the data, started in a process group of its own so that one SIGKILL
takes the postmaster and every backend at once, as a power cut or the OOM killer would. As root
(initdb refuses to run as root) the cluster belongs to the ``postgres`` account and lives in a
directory of its own under the system's temporary directory, since pytest's is private to root.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REQUIRE_POSTGRES
from tests.test_e2e_http import _free_port

START_SECONDS = 60.0


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def binaries() -> Path | None:
    """The bin directory of the newest PostgreSQL installed, or one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).parent
    return None


class PrivatePostgres:
    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin = bin_dir
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        self.server: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.starts = 0

    def _as_owner(self, path: Path) -> None:
        if self.user is not None:
            owner = pwd.getpwnam(self.user)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def init(self) -> None:
        self.sockets.mkdir(parents=True)
        for path in (self.root, self.sockets):
            self._as_owner(path)
        done = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            user=self.user,
        )
        assert done.returncode == 0, f"initdb failed: {done.stderr}"

    def start(self) -> None:
        log = (self.root / f"server-{self.starts}.log").open("wb")
        self.server = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=on",
                "-c",
                "synchronous_commit=on",
                "-c",
                "max_connections=100",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.user,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.server.poll() is None, f"postgres stopped; see {self.root}"
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() >= deadline:
                    message = f"postgres did not start within {START_SECONDS:.0f} s"
                    raise AssertionError(message) from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the postmaster and every backend at once; returns when all are gone."""
        assert self.server is not None
        group = self.server.pid
        os.killpg(group, signal.SIGKILL)
        self.server.wait(timeout=30)
        self.kills += 1
        deadline = time.monotonic() + 30
        while True:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            if time.monotonic() >= deadline:
                raise AssertionError("the backends of the killed postgres did not exit")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()


def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    """Body of a fixture: a running private cluster, stopped and deleted afterwards."""
    bin_dir = binaries()
    if bin_dir is None:
        message = "the PostgreSQL server binaries (initdb, postgres) are not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="council-pg-")) if os.geteuid() == 0 else tmp_path / "pg"
    if os.geteuid() != 0:
        root.mkdir()
    cluster = PrivatePostgres(bin_dir, root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
