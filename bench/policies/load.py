"""Loads N APIs of OPS operations with a policy each through the management API and times single writes (see run.sh)."""
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

base, token, n, samples, backend, ops, gateway, mode = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
                                                         int(sys.argv[6]), sys.argv[7], sys.argv[8])
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


def timed(action):
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def policy_put(i, version):
    put(f"/apis/api{i}/policies/policy", {"properties": {"format": "rawxml", "value": policy(version)}})


def operation_put(i, name):
    put(f"/apis/api{i}/operations/{name}", {"properties": {"displayName": name, "method": "GET",
                                                          "urlTemplate": f"/{name}/{{id}}",
                                                          "templateParameters": [{"name": "id", "type": "string", "required": True}]}})


def p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


gw = urllib.parse.urlparse(gateway)
gw_conn = http.client.HTTPConnection(gw.hostname, gw.port, timeout=30)


def routable_after_put(i, name):
    """Adds an operation, then calls it through the gateway until it answers: ms from the write's return to the first 200."""
    operation_put(i, name)
    returned = time.perf_counter()
    while True:
        gw_conn.request("GET", f"/api{i}/{name}/1")
        response = gw_conn.getresponse()
        response.read()
        if response.status == 200:
            return (time.perf_counter() - returned) * 1000
        if response.status != 404:
            sys.exit(f"GET /api{i}/{name}/1 answered {response.status}")


put("", {"location": "local", "sku": {"name": "Developer", "capacity": 1},
         "properties": {"publisherName": "Bench", "publisherEmail": "bench@example.com"}})
first = []
load_started = time.perf_counter()
for i in range(n):
    if mode == "import":
        # One request per API: an OpenAPI document with its operations, imported in one change set.
        document = {"openapi": "3.0.1", "info": {"title": f"API {i}", "version": "1"}, "servers": [{"url": backend}],
                    "paths": {f"/op{k}/{{id}}": {"get": {"operationId": f"op{k}", "summary": f"op{k}",
                                                         "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                                                         "responses": {"200": {"description": "OK"}}}} for k in range(ops)}}
        writes = [timed(lambda: put(f"/apis/api{i}", {"properties": {"format": "openapi+json", "value": json.dumps(document), "path": f"api{i}",
                                                                     "protocols": ["http"], "subscriptionRequired": False}}))]
    else:
        writes = [timed(lambda: put(f"/apis/api{i}", {"properties": {"displayName": f"API {i}", "path": f"api{i}", "serviceUrl": backend,
                                                                     "protocols": ["http"], "subscriptionRequired": False}}))]
        writes += [timed(lambda: operation_put(i, f"op{k}")) for k in range(ops)]
    writes.append(timed(lambda: policy_put(i, f"v1-{i}")))
    if i < samples:
        first += writes
load_seconds = time.perf_counter() - load_started
rng = random.Random(42)
last = []
for k in range(samples):
    target = rng.randrange(n)
    last.append(timed(lambda: policy_put(target, f"v2-{k}")))
    last.append(timed(lambda: operation_put(target, f"op0")))
print(f"policy PUT at the end: p50 {statistics.median(last[0::2]):.1f}, operation PUT: p50 {statistics.median(last[1::2]):.1f}",
      file=sys.stderr)
routable = [routable_after_put(rng.randrange(n), f"new{k}") for k in range(samples)]
print(f"{statistics.median(first):.1f} / {p(first, 0.95):.1f} | {statistics.median(last):.1f} / {p(last, 0.95):.1f} | "
      f"{load_seconds:.0f} | {p(routable, 0.99):.1f}")
