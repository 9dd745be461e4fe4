"""Helpers for benches/peers/run (standard library only).

    report.py fsync DIR SECONDS            the disk's fsync rate, as JSON
    report.py machine DIR                  this machine, as JSON
    report.py merge OUT META DIR           results/latest.json from DIR's per-run results,
                                           and the markdown table on stdout
"""

import json
import os
import platform
import re
import subprocess
import sys
import time


def fsync_rate(directory: str, seconds: float) -> dict:
    """4 KiB write + fdatasync in a loop, two ways: appending (each sync also commits the
    file's new size, like a growing log) and overwriting a preallocated file (like SQLite's
    WAL once it has grown, or PostgreSQL's recycled WAL segments)."""
    out = {}
    block = b"\x5a" * 4096
    for mode in ("append", "overwrite"):
        path = os.path.join(directory, f"fsync-{mode}.probe")
        fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            slots = 256
            if mode == "overwrite":
                os.write(fd, block * slots)
                os.fsync(fd)
            n = 0
            started = time.perf_counter()
            while time.perf_counter() - started < seconds:
                offset = n * 4096 if mode == "append" else (n % slots) * 4096
                os.pwrite(fd, block, offset)
                os.fdatasync(fd)
                n += 1
            out[f"{mode}_4k_fdatasync_per_second"] = round(n / (time.perf_counter() - started))
        finally:
            os.close(fd)
            os.remove(path)
    return out


def machine(directory: str) -> dict:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(next(l.split()[1] for l in f if l.startswith("MemTotal")))
    except (OSError, StopIteration):
        pass
    df = sh("df", "-T", directory).splitlines()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "scratch_filesystem": df[-1].split()[1] if len(df) > 1 else "",
        "load_average": list(os.getloadavg()),
        "uptime": sh("uptime"),
    }


def fmt(x: float) -> str:
    return f"{x:,.0f}"


SYSTEM_ORDER = ["python", "cqrs-pg", "cqrs-sqlite", "vigil"]


def combine(runs: list[tuple[int, dict, dict]]) -> dict:
    """One result from R single-run results of one system (each from `--runs 1`)."""
    first = runs[0][1]
    out = {k: v for k, v in first.items()
           if k not in ("commands_per_second", "command_latency_us", "projection_events_per_second",
                        "machine", "benchmark", "runs")}

    def figure(samples: list[float]) -> dict:
        s = sorted(samples)
        return {"median": s[len(s) // 2], "min": s[0], "max": s[-1]}

    def median(samples: list[float]) -> float:
        return sorted(samples)[len(samples) // 2]

    out["runs"] = len(runs)
    out["commands_per_second"] = figure([r["commands_per_second"]["median"] for _, r, _ in runs])
    out["command_latency_us"] = {q: median([r["command_latency_us"][q] for _, r, _ in runs]) for q in ("p50", "p99")}
    out["projection_events_per_second"] = figure([r["projection_events_per_second"]["median"] for _, r, _ in runs])
    out["per_run"] = [{
        "round": round_,
        "commands_per_second": r["commands_per_second"]["median"],
        "command_latency_us": r["command_latency_us"],
        "projection_events_per_second": r["projection_events_per_second"]["median"],
        "fsync_probe_before_round": fsync,
    } for round_, r, fsync in runs]
    return out


def merge(out_path: str, meta_path: str, out_dir: str) -> None:
    with open(meta_path) as f:
        meta = json.load(f)
    groups: dict[tuple[int, int], list] = {}
    probes = []
    for name in sorted(os.listdir(out_dir)):
        m = re.fullmatch(r"(.+)-c(\d+)-r(\d+)\.json", name)
        if not m or m.group(1) not in SYSTEM_ORDER:
            continue
        system, callers, round_ = m.group(1), int(m.group(2)), int(m.group(3))
        with open(os.path.join(out_dir, name)) as f:
            result = json.load(f)
        fsync = {}
        probe = os.path.join(out_dir, f"fsync-c{callers}-r{round_}.json")
        if os.path.exists(probe):
            with open(probe) as f:
                fsync = json.load(f)
            probes.append(fsync)
        groups.setdefault((callers, SYSTEM_ORDER.index(system)), []).append((round_, result, fsync))
    results = [combine(sorted(runs, key=lambda x: x[0])) for _, runs in sorted(groups.items())]
    meta["results"] = results
    with open(out_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    vigil = {r["callers"]: r for r in results if r.get("system") == "vigil"}
    p = meta["parameters"]
    print(f"\n### Peer comparison — {meta['date']}\n")
    print(f"N = {p['aggregates']} aggregates × M = {p['events_per_aggregate']} events; R = {p['runs']} runs, "
          f"interleaved across the systems (median, min–max). Machine: {meta['machine']['cores']} cores, "
          f"{meta['machine']['cpu']}; load average at start "
          f"{', '.join(f'{x:.2f}' for x in meta['machine']['load_average'])}.")
    fs = meta["fsync_baseline"]
    line = (f"Baseline, scratch disk (4 KiB write + fdatasync, 3 s): {fmt(fs['append_4k_fdatasync_per_second'])}/s "
            f"appending, {fmt(fs['overwrite_4k_fdatasync_per_second'])}/s overwriting")
    if probes:
        over = sorted(x["overwrite_4k_fdatasync_per_second"] for x in probes)
        line += f"; 1 s probes before each round, overwriting: {fmt(over[0])}–{fmt(over[-1])}/s"
    print(line + ".\n")
    print("| system | store | durability | callers | commands/s (range) | latency p50 / p99 µs "
          "| projection events/s (range) | Vigil ÷ peer: commands | Vigil ÷ peer: projection |")
    print("| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: |")
    for r in results:
        c, lat, pr = r["commands_per_second"], r["command_latency_us"], r["projection_events_per_second"]
        v = vigil.get(r["callers"])
        if r.get("system") == "vigil" or v is None:
            ratio_c = ratio_p = "—"
        else:
            ratio_c = f"{v['commands_per_second']['median'] / c['median']:.1f}×"
            ratio_p = f"{v['projection_events_per_second']['median'] / pr['median']:.1f}×"
        found = re.search(r"\d+\.\d+[.\w]*", str(r.get("version", "")))
        name = r["system"] + (f" {found.group(0)}" if found else "")
        print(f"| {name} | {r['store']} | {r['durability']} | {r['callers']} "
              f"| {fmt(c['median'])} ({fmt(c['min'])}–{fmt(c['max'])}) | {fmt(lat['p50'])} / {fmt(lat['p99'])} "
              f"| {fmt(pr['median'])} ({fmt(pr['min'])}–{fmt(pr['max'])}) | {ratio_c} | {ratio_p} |")
    for s in meta.get("skipped", []):
        print(f"\n- not measured: {s}")
    print(f"\nLoad average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}. "
          f"Written to {out_path}.")


def main() -> None:
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "fsync":
        print(json.dumps(fsync_rate(sys.argv[2], float(sys.argv[3]))))
    elif cmd == "machine":
        print(json.dumps(machine(sys.argv[2])))
    elif cmd == "merge":
        merge(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
