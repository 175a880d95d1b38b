#!/usr/bin/env python3
"""Config propagation: a change written to one management node, timed until every gateway serves it.

Each change gives an operation a new URL template (PUT .../operations/probe); the clock runs from just before the
write until the last gateway answers 200 on the new path (each polled on a keep-alive connection, 2 ms apart).
Prints "p50_ms p99_ms max_ms" over CHANGES changes (after WARMUP unmeasured ones).

usage: propagation.py MANAGEMENT_URL SERVICE_PATH TOKEN API_ID API_PATH KEY CHANGES GATEWAY_URL...
"""
import http.client
import json
import sys
import time
from urllib.parse import urlsplit

WARMUP = 5


def connect(url):
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def main():
    management, service, token, api, api_path, key, changes = sys.argv[1:8]
    gateways = [connect(u) for u in sys.argv[8:]]
    changes = int(changes)
    writer = connect(management)
    times = []
    for i in range(WARMUP + changes):
        template = f"/propagation-{i}"
        body = json.dumps({"properties": {"displayName": "Probe", "method": "GET", "urlTemplate": template}})
        start = time.perf_counter()
        writer.request("PUT", f"{service}/apis/{api}/operations/probe?api-version=2022-08-01", body,
                       {"Authorization": token, "Content-Type": "application/json"})
        response = writer.getresponse()
        response.read()
        if response.status >= 300:
            sys.exit(f"PUT answered {response.status}")
        waiting = list(gateways)
        while waiting:
            still = []
            for gateway in waiting:
                gateway.request("GET", f"/{api_path}{template}", headers={"Ocp-Apim-Subscription-Key": key})
                answer = gateway.getresponse()
                answer.read()
                if answer.status != 200:
                    still.append(gateway)
            waiting = still
            if waiting:
                if time.perf_counter() - start > 30:
                    sys.exit(f"change {i} not served by every gateway within 30 s")
                time.sleep(0.002)
        if i >= WARMUP:
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p50 = times[len(times) // 2 - 1]
    p99 = times[max(0, -(-len(times) * 99 // 100) - 1)]
    print(f"{p50:.1f} {p99:.1f} {times[-1]:.1f}")


if __name__ == "__main__":
    main()
