"""The peer workload of benches/peers/README.md on the Python `eventsourcing` library
with its SQLite persistence module.

    python peer.py [--aggregates N] [--events M] [--callers C] [--runs R] [--dir DIR] [--json FILE]

Each run gets a fresh SQLite file. Commands go through an `Application` command method:
`repository.get()` (replay of the aggregate's events; the library's aggregate cache and
snapshotting are off by default and stay off), the aggregate's command method, and
`save()` (insert with the next originator_version, which the table's primary key turns
into an optimistic lock, committed before `save()` returns). The read model is a
`Projection` whose view is a `TrackingRecorder` (the library's materialised-view pattern),
fed from the application's notification log in notification-id order.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
from importlib.metadata import version
from uuid import NAMESPACE_OID, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteFactory, SQLiteTrackingRecorder
from eventsourcing.system import NotificationLogReader


# --- The domain ---------------------------------------------------------------------


class SeqRejected(Exception):
    pass


class Host(Aggregate):
    # An eventsourcing aggregate starts with a "created" event, so a host's first
    # discovery is recorded by this one (same fields); later ones by DiscoveryRecorded.
    @event("FirstDiscoveryRecorded")
    def __init__(self, id: UUID, seq: int, details: dict):  # noqa: A002 - the library's name for it
        self.last_seq = seq
        self.details = details

    def record_discovery(self, seq: int, details: dict) -> None:
        if seq != self.last_seq + 1:
            raise SeqRejected(f"seq {seq} does not follow {self.last_seq}")
        self._discovery_recorded(seq, details)

    @event("DiscoveryRecorded")
    def _discovery_recorded(self, seq: int, details: dict) -> None:
        self.last_seq = seq
        self.details = details


class Hosts(Application):
    def record_discovery(self, host_id: UUID, seq: int, details: dict) -> None:
        try:
            host: Host = self.repository.get(host_id)
        except AggregateNotFoundError:
            if seq != 1:  # state starts at last_seq 0
                raise SeqRejected(f"seq {seq} does not follow 0") from None
            host = Host(id=host_id, seq=seq, details=details)
        else:
            host.record_discovery(seq, details)
        self.save(host)


def host_id(i: int) -> UUID:
    """The same UUID as the other systems derive for host i."""
    return uuid5(NAMESPACE_OID, f"vigil-workload-host-{i}")


def details(i: int, seq: int) -> dict:
    return {
        "hostname": f"host-{i}",
        "fully_qualified_domain_name": f"host-{i}.example.internal.cloudapp.net",
        "ip_addresses": ["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32", "fe80::f9:9cff:fe45:2cde/64"],
        "agent_version": "2.4.0",
        "arch": "x86_64",
        "os_version": "15-SP5",
        "cpu_count": 8,
        "socket_count": 1,
        "total_memory_mb": 65536 + seq,
        "systemd_units": [{"name": "pacemaker.service", "unit_file_state": "enabled"}],
        "installation_source": "suse",
    }


# --- The read model -----------------------------------------------------------------


class HostSummaryView(SQLiteTrackingRecorder):
    """host_summary, updated in the same transaction as the view's tracking record."""

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + [
            "CREATE TABLE IF NOT EXISTS host_summary (host_id TEXT PRIMARY KEY, "
            "last_seq INTEGER, hostname TEXT, total_memory_mb INTEGER)"
        ]

    def upsert(self, host_id: UUID, seq: int, details: dict, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO host_summary VALUES (?, ?, ?, ?) ON CONFLICT (host_id) DO UPDATE "
                "SET last_seq = excluded.last_seq, hostname = excluded.hostname, "
                "total_memory_mb = excluded.total_memory_mb",
                (str(host_id), seq, details["hostname"], details["total_memory_mb"]),
            )
            self._insert_tracking(c, tracking)

    def summary(self) -> tuple[int, int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT count(*), coalesce(min(last_seq), 0), coalesce(max(last_seq), 0) FROM host_summary")
            return tuple(c.fetchone())


class HostSummaryProjection(Projection[HostSummaryView]):
    @singledispatchmethod
    def process_event(self, domain_event, tracking: Tracking) -> None:
        pass

    @process_event.register(Host.FirstDiscoveryRecorded)
    @process_event.register(Host.DiscoveryRecorded)
    def _(self, domain_event, tracking: Tracking) -> None:
        self.view.upsert(domain_event.originator_id, domain_event.seq, domain_event.details, tracking)


def project(app: Hosts, env: dict) -> None:
    """Catches the projection up with the application's notification log.

    The library's ProjectionRunner would do this from a subscription, but the SQLite
    recorder of eventsourcing 9.5 does not implement subscribe(): so this pulls the
    notification log, as the library's Follower does, in notification-id order."""
    view = SQLiteFactory(env).tracking_recorder(HostSummaryView)
    projection = HostSummaryProjection(view=view)
    start = (view.max_tracking_id(app.name) or 0) + 1
    reader = NotificationLogReader(app.notification_log, section_size=app.log_section_size)
    for notifications in reader.select(start=start):
        for notification in notifications:
            domain_event = app.mapper.to_domain_event(notification)
            projection.process_event(domain_event, Tracking(app.name, notification.id))
    return view


# --- The workload -------------------------------------------------------------------


def send_commands(app: Hosts, n: int, m: int, callers: int) -> tuple[float, list[int]]:
    """Caller c owns the hosts i with i % callers == c and round-robins over them
    (seq 1 for each, then seq 2, ...): with one caller, command k -> host k % N, seq k // N + 1."""
    ids = [host_id(i) for i in range(n)]
    latencies: list[list[int]] = [[] for _ in range(callers)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(callers + 1)

    def caller(c: int) -> None:
        mine = range(c, n, callers)
        out = latencies[c]
        barrier.wait()
        try:
            for seq in range(1, m + 1):
                for i in mine:
                    body = details(i, seq)
                    t = time.perf_counter_ns()
                    app.record_discovery(ids[i], seq, body)
                    out.append((time.perf_counter_ns() - t) // 1000)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=caller, args=(c,)) for c in range(callers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return n * m / seconds, [x for part in latencies for x in part]


def one_run(args, run: int) -> tuple[float, list[int], float, str]:
    db = os.path.join(args.dir, f"eventsourcing-run{run}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db}
    app = Hosts(env=env)
    assert app.repository.cache is None, "the aggregate cache is off by default"

    # eventsourcing.sqlite sets journal_mode=WAL and leaves synchronous at SQLite's default.
    with app.factory.datastore.get_connection(commit=False) as conn:
        c = conn.cursor()
        c.execute("PRAGMA journal_mode")
        journal = c.fetchone()[0]
        c.execute("PRAGMA synchronous")
        synchronous = c.fetchone()[0]
        c.execute("SELECT sqlite_version()")
        sqlite_version = c.fetchone()[0]
    if journal != "wal" or synchronous != 2:
        sys.exit(f"SQLite is not WAL with synchronous=FULL (journal_mode={journal}, synchronous={synchronous}); "
                 "this SQLite build's default differs: set it in a SQLiteConnectionPool subclass")

    commands_per_second, latencies = send_commands(app, args.aggregates, args.events, args.callers)
    stored = app.recorder.max_notification_id()
    if stored != args.aggregates * args.events:
        sys.exit(f"{stored} events stored, want {args.aggregates * args.events}")

    started = time.perf_counter()
    view = project(app, env)
    seconds = time.perf_counter() - started
    rows, min_seq, max_seq = view.summary()
    if (rows, min_seq, max_seq) != (args.aggregates, args.events, args.events):
        sys.exit(f"read model is wrong: {rows} rows (want {args.aggregates}), "
                 f"last_seq {min_seq}..{max_seq} (want {args.events})")
    projection_events_per_second = args.aggregates * args.events / seconds

    app.close()
    view.datastore.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    print(f"  run {run}: {commands_per_second:.0f} commands/s, projection {projection_events_per_second:.0f} events/s",
          file=sys.stderr)
    return commands_per_second, latencies, projection_events_per_second, sqlite_version


def figure(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"median": s[len(s) // 2], "min": s[0], "max": s[-1]}


def percentile(sorted_values: list[int], q: float) -> int:
    k = max(1, min(len(sorted_values), -(-len(sorted_values) * q // 1)))
    return sorted_values[int(k) - 1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--aggregates", type=int, default=1000)
    p.add_argument("--events", type=int, default=20)
    p.add_argument("--callers", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--dir", default="/tmp/eventsourcing-peer")
    p.add_argument("--json")
    args = p.parse_args()
    args.callers = min(args.callers, args.aggregates)
    os.makedirs(args.dir, exist_ok=True)
    print(f"python eventsourcing on sqlite: {args.aggregates} aggregates x {args.events} events, "
          f"{args.callers} callers, {args.runs} runs", file=sys.stderr)

    cps, lat, pps = [], [], []
    for run in range(1, args.runs + 1):
        c, l, pr, sqlite_version = one_run(args, run)
        cps.append(c)
        lat.extend(l)
        pps.append(pr)
    lat.sort()
    result = {
        "system": "python-eventsourcing",
        "version": f"eventsourcing {version('eventsourcing')} (CPython {sys.version.split()[0]})",
        "store": "sqlite",
        "durability": "synchronous=FULL (WAL)",
        "durability_detail": f"SQLite {sqlite_version} (CPython's sqlite3 module). eventsourcing.sqlite sets "
                             "journal_mode=WAL and leaves synchronous at the build's default, FULL here "
                             "(checked with PRAGMA synchronous on the library's connection each run)",
        "aggregates": args.aggregates,
        "events_per_aggregate": args.events,
        "callers": args.callers,
        "runs": args.runs,
        "aggregate_loading": "event replay of the whole stream (Repository.get; AGGREGATE_CACHE_MAXSIZE unset: "
                             "the library's default, no cache; no snapshotting)",
        "callers_are": "threads sharing one Application (the library's connection pool serialises writers)",
        "commands_per_second": figure(cps),
        "command_latency_us": {"p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99)},
        "projection_events_per_second": figure(pps),
        "extra": {"projection": "Projection + TrackingRecorder view (upsert and tracking record in one "
                                "transaction per event), fed by NotificationLogReader in notification-id order, "
                                f"section size {Hosts.log_section_size} (the library default)"},
    }
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
