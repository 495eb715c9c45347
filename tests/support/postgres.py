"""A throwaway PostgreSQL server for tests and for developers (`scripts/pg`).

    python -m tests.support.postgres    # starts one, prints its DATABASE_URL, stops on ^C

Debian's `postgresql` package provides the programs (`.ci/run` installs it). The server
refuses to run as root, so as root the data directory belongs to the `postgres` user and
the programs run through `runuser`. Made for speed, never for keeping data: initdb
--no-sync, trust authentication, loopback only, fsync off, a free port.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the text says why."""


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if versions:
        return Path(versions[-1]).parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed (no pg_ctl); on Debian: apt-get install postgresql")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ThrowawayPostgres:
    """One server in a temporary folder; `url(dbname)` and `new_database()` for clients."""

    def __init__(self) -> None:
        self._bin = _bindir()
        self._root = Path(tempfile.mkdtemp(prefix="fluxcord-pg-"))
        self.datadir = self._root / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=120)

    def start(self) -> ThrowawayPostgres:
        """initdb, then start and wait until it accepts connections."""
        if self._as_root:
            try:
                shutil.chown(self._root, SUPERUSER, SUPERUSER)
            except (LookupError, PermissionError) as exc:
                raise PostgresUnavailable(f"no `{SUPERUSER}` user to run the server: {exc}"
                                          ) from None
        init = self._run("initdb", "-D", str(self.datadir), "--no-sync", "-A", "trust",
                         "-U", SUPERUSER, "-E", "UTF8", "--locale=C")
        if init.returncode:
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        started = self._run("pg_ctl", "-D", str(self.datadir), "-o", options,
                            "-l", str(self._root / "server.log"), "-w", "-t", "60", "start")
        if started.returncode:
            log = (self._root / "server.log")
            detail = log.read_text()[-800:] if log.exists() else started.stderr
            raise PostgresUnavailable(f"the server did not start: {detail.strip()}")
        self._started = True
        return self

    def stop(self) -> None:
        """Stops the server at once and removes its folder."""
        if self._started:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
            self._started = False
        shutil.rmtree(self._root, ignore_errors=True)

    def url(self, dbname: str = "postgres", password: str | None = None) -> str:
        """A DATABASE_URL for a database of this server (any password passes: trust)."""
        secret = f":{password}" if password else ""
        return f"postgresql://{SUPERUSER}{secret}@127.0.0.1:{self.port}/{dbname}"

    def unix_url(self, dbname: str = "postgres") -> str:
        """A DATABASE_URL reaching the server over its Unix socket instead of TCP."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self._root}&port={self.port}"

    def new_database(self) -> str:
        """Creates an empty database and returns its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        made = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
                         "-d", "postgres", "-q", "-c", f"CREATE DATABASE {name}")
        if made.returncode:
            raise PostgresUnavailable(f"CREATE DATABASE failed: {made.stderr.strip()}")
        return self.url(name)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> int:
    try:
        server = ThrowawayPostgres().start()
    except PostgresUnavailable as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    try:
        sys.stdout.write(f"DATABASE_URL={server.new_database()}\n")
        sys.stdout.write("PostgreSQL runs until you press Ctrl-C; its data goes with it.\n")
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
