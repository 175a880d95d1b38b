"""Per-request CPU breakdown from `perf script -F comm,ip,sym,dso` (see profile.sh): each sample goes to the nearest
frame, from the leaf up, that belongs to a component (kernel time spent under it included); GC threads apart."""
import collections
import re
import sys

COMPONENTS = [
    ("Tollgate.Gateway.Policies", "Tollgate: policies (pipeline, handlers, counters)"),
    ("Tollgate.Gateway.Analytics", "Tollgate: request telemetry (request id, metrics, record)"),
    ("Tollgate.Gateway.Subscriptions", "Tollgate: key check"),
    ("Tollgate.Security", "Tollgate: key check"),
    ("Tollgate.Gateway.Configuration", "Tollgate: operation matching"),
    ("Tollgate.Gateway.Hosting", "Tollgate: gateway middleware and forwarder setup"),
    ("Tollgate.Management.Analytics", "Tollgate: request log writer"),
    ("Tollgate.", "Tollgate: other"),
    ("Yarp.", "YARP forwarder and transforms"),
    ("System.Net.Http", "HttpClient (SocketsHttpHandler) to the backend"),
    ("Microsoft.AspNetCore.Server.Kestrel", "Kestrel (HTTP/1.1 server, socket transport)"),
    ("System.Net.Sockets", "Sockets (async engine)"),
    ("OpenTelemetry", "Metrics (OpenTelemetry)"),
    ("System.Diagnostics.Metrics", "Metrics (OpenTelemetry)"),
    ("Microsoft.Extensions.Logging", "Logging"),
    ("Microsoft.AspNetCore.", "ASP.NET Core (routing, hosting, http abstractions)"),
]


def component(frame):
    m = re.search(r"\] ([A-Za-z_][\w.`+<>]*)::", frame)
    if not m:
        return None
    return next((c for p, c in COMPONENTS if m.group(1).startswith(p)), None)


def main(path, rps, seconds, hz):
    samples, current = [], None
    for line in open(path, errors="replace"):
        if not line.strip():
            if current is not None:
                samples.append(current)
            current = None
        elif not line[0].isspace():
            current = {"comm": line.strip(), "frames": []}
        elif current is not None:
            current["frames"].append(line.strip())
    if current is not None:
        samples.append(current)
    owners = collections.Counter()
    for s in samples:
        frames = s["frames"]
        if "GC" in s["comm"]:
            owners["GC (server GC threads)"] += 1
            continue
        owner = next((c for c in map(component, frames) if c), None)
        if owner is None:
            managed = any("perf-" in f and ".map" in f for f in frames)
            kernel = bool(frames) and "kallsyms" in frames[0]
            owner = ("BCL and runtime only (thread pool, timers)" if managed
                     else "kernel, no managed caller (socket syscalls unwound through libc)" if kernel
                     else "runtime native code (libcoreclr)")
        owners[owner] += 1
    total_us = len(samples) / hz / (rps * seconds) * 1e6
    print(f"{len(samples)} samples at {hz} Hz over {seconds} s, {rps:.0f} requests/s: {total_us:.1f} µs of CPU per request")
    print()
    print("| where the CPU goes | µs/request | share |")
    print("|---|---:|---:|")
    for name, count in owners.most_common():
        print(f"| {name} | {total_us * count / len(samples):.1f} | {100 * count / len(samples):.1f}% |")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
