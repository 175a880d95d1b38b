"""Loads N APIs with a policy each through the management API and times single policy PUTs (see run.sh)."""
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

base, token, n, samples, backend = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
svc = "/subscriptions/bench/resourceGroups/bench/providers/Microsoft.ApiManagement/service/bench"


def put(path, body):
    conn.request("PUT", f"{svc}{path}?api-version=2022-08-01", json.dumps(body),
                 {"Authorization": token, "Content-Type": "application/json"})
    response = conn.getresponse()
    text = response.read()
    if response.status // 100 != 2:
        sys.exit(f"PUT {path} answered {response.status}: {text[:300]!r}")


def policy(version):
    return ("<policies><inbound><base />"
            f"<set-variable name=\"version\" value=\"@(&quot;{version}&quot;)\" />"
            "<choose><when condition=\"@(context.Request.Method == &quot;GET&quot;)\">"
            "<set-header name=\"X-Version\" exists-action=\"override\">"
            "<value>@((string)context.Variables[&quot;version&quot;] + &quot;:&quot; + context.Request.Method)</value>"
            "</set-header></when></choose></inbound><backend><base /></backend><outbound><base /></outbound>"
            "<on-error><base /></on-error></policies>")


def timed_policy_put(i, version):
    started = time.perf_counter()
    put(f"/apis/api{i}/policies/policy", {"properties": {"format": "rawxml", "value": policy(version)}})
    return (time.perf_counter() - started) * 1000


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


put("", {"location": "local", "sku": {"name": "Developer", "capacity": 1},
         "properties": {"publisherName": "Bench", "publisherEmail": "bench@example.com"}})
first = []
load_started = time.perf_counter()
for i in range(n):
    put(f"/apis/api{i}", {"properties": {"displayName": f"API {i}", "path": f"api{i}", "serviceUrl": backend,
                                         "protocols": ["http"], "subscriptionRequired": False}})
    put(f"/apis/api{i}/operations/get", {"properties": {"displayName": "Get", "method": "GET",
                                                         "urlTemplate": "/items/{id}",
                                                         "templateParameters": [{"name": "id", "type": "string", "required": True}]}})
    ms = timed_policy_put(i, f"v1-{i}")
    if i < samples:
        first.append(ms)
load_seconds = time.perf_counter() - load_started
rng = random.Random(42)
last = [timed_policy_put(rng.randrange(n), f"v2-{k}") for k in range(samples)]
print(f"{statistics.median(first):.1f} / {p(first, 0.95):.1f} | {statistics.median(last):.1f} / {p(last, 0.95):.1f} | {load_seconds:.0f}")
