"""A real PostgreSQL server in a temporary folder, for the OMOP database tests.

``postgres_server()`` finds ``initdb`` and ``pg_ctl`` (PATH, else /usr/lib/postgresql/*/bin),
creates a cluster in a fresh folder under the system temporary folder, and starts it on a free
port of 127.0.0.1 with trust authentication; it yields the URL of its ``postgres`` database and
stops the server and removes the folder afterwards. PostgreSQL refuses to run as root: as root
(CI), the cluster is made and run as the user ``nobody`` (``runuser``), owning the folder.
A server that cannot be started raises ``RuntimeError`` with the server's own words: the test
FAILS then, it does not skip (``make test`` must prove the database path).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

RUN_AS = "nobody"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, name).is_file():
            return str(Path(folder, name))
    raise RuntimeError(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], as_other: bool) -> subprocess.CompletedProcess:
    if as_other:
        cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def postgres_server():
    """Yield ``postgresql://postgres@127.0.0.1:PORT/postgres`` of a fresh server."""
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="mscreport-pg-"))
    data, log = folder / "data", folder / "server.log"
    if root:
        import pwd

        user = pwd.getpwnam(RUN_AS)
        os.chown(folder, user.pw_uid, user.pw_gid)
    port = _free_port()
    started = False
    try:
        done = _run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], root)
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"], root)
        if done.returncode:
            words = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {words.strip()[-2000:]}")
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _run([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], root)
        shutil.rmtree(folder, ignore_errors=True)


def load_omop_folder(url: str, folder: Path, schema: str = "cdm") -> None:
    """Create ``schema``'s measurement, cohort, cohort_definition and person tables (CDM v5.4
    types of the columns mscreport reads, plus measurement_datetime and person's race and
    ethnicity) and load the folder's CSV files (a table without its file stays empty)."""
    import psycopg

    ddl = f"""
    CREATE SCHEMA {schema};
    CREATE TABLE {schema}.measurement (measurement_id bigint PRIMARY KEY, person_id bigint NOT NULL,
        measurement_concept_id integer NOT NULL, measurement_date date NOT NULL, measurement_datetime timestamp,
        value_as_number numeric, unit_concept_id integer);
    CREATE TABLE {schema}.cohort (cohort_definition_id integer NOT NULL, subject_id bigint NOT NULL,
        cohort_start_date date NOT NULL, cohort_end_date date NOT NULL);
    CREATE TABLE {schema}.cohort_definition (cohort_definition_id integer NOT NULL,
        cohort_definition_name varchar(255) NOT NULL);
    CREATE TABLE {schema}.person (person_id bigint PRIMARY KEY, gender_concept_id integer NOT NULL,
        year_of_birth integer NOT NULL, month_of_birth integer, day_of_birth integer,
        race_concept_id integer NOT NULL DEFAULT 0, ethnicity_concept_id integer NOT NULL DEFAULT 0);
    """
    columns = {"measurement": "measurement_id, person_id, measurement_concept_id, measurement_date, value_as_number, "
                              "unit_concept_id",
               "cohort": "cohort_definition_id, subject_id, cohort_start_date, cohort_end_date",
               "cohort_definition": "cohort_definition_id, cohort_definition_name",
               "person": "person_id, gender_concept_id, year_of_birth, month_of_birth, day_of_birth"}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(ddl)
        for table, cols in columns.items():
            path = folder / f"{table}.csv"
            if not path.exists():
                continue
            with con.cursor() as cur:
                with cur.copy(f"COPY {schema}.{table} ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    copy.write(path.read_bytes())
