#!/usr/bin/env python3
"""Runs APIM's public policy snippets against Tollgate, unchanged, and reports which work.

    git clone https://github.com/Azure/api-management-policy-snippets /tmp/snippets
    python3 scripts/apim-snippets.py /tmp/snippets [--tollgate src/Tollgate/bin/Release/net10.0/tollgate.dll] [--out report.md]

It starts `tollgate run` (gateway and management, a fresh data directory, free loopback ports) and a local backend,
creates an instance with one API whose operations take every method and path, then for every `*.xml` under the
snippets directory:

- names in `{{…}}` become named values first (a user of the snippet has them): URLs where the name says so,
  base64 keys for key/IV names, a plain value otherwise;
- a `<fragment>` is saved as a policy fragment named after its file (fragments go first: policies include them);
- a `<policies>` document is saved as the API's policy, then the API is called once through the gateway.

Each snippet ends as one of:
- `works`: saved, and the call was answered by the pipeline (any status: snippets call services this machine does not
  have, so a 4xx/5xx from a send-request or validate-jwt is the snippet's own behaviour, not Tollgate's);
- `refused`: management refused it; the message says why;
- `needs Azure`: refused because it uses a policy that needs an Azure service (managed identity, Azure AD tokens, Event
  Hubs…): Tollgate refuses those by name on purpose, saying what to use instead;
- `not built`: saved, but the gateway answered that the document cannot run.
The last line is the totals. Nothing here is part of the test suite: it measures fidelity from outside, as a user would.
"""
import argparse
import base64
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

API_VERSION = "2022-08-01"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({"method": self.command, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, *args):
        pass


def call(method, url, headers=None, body=None, timeout=30):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except Exception as e:  # a timeout or a reset is an answer too
        return 0, f"{type(e).__name__}: {e}"


# Attributes whose value APIM reads as a number: a named value standing for the whole value is one.
NUMERIC_ATTRIBUTES = {"duration", "timeout", "calls", "renewal-period", "bandwidth", "max-size", "interval", "count",
                      "max-interval", "delta", "max-count", "code", "retry-after", "period"}


def numeric_uses(texts):
    """Names used where a number goes: a whole numeric attribute, or unquoted inside an expression (`AddSeconds({{x}})`)."""
    numeric = set()
    for text in texts:
        for match in re.finditer(r"\{\{([^{}]+)\}\}", text):
            name = match.group(1).strip()
            before, after = text[:match.start()], text[match.end():]
            attribute = re.search(r'([\w-]+)\s*=\s*"$', before)
            if attribute and after.startswith('"') and attribute.group(1) in NUMERIC_ATTRIBUTES:
                numeric.add(name)
            elif re.search(r"[(=,+*/-]\s*$", before) and re.match(r"\s*[);,+*/<>-]", after):
                numeric.add(name)
    return numeric


def named_value(name, backend, numeric):
    lower = name.lower()
    if name in numeric:
        return "300"
    if any(w in lower for w in ("url", "endpoint", "host", "uri", "address", "baseurl")):
        return f"http://127.0.0.1:{backend}"
    if "iv" in re.split(r"[-_ ]", lower):
        return base64.b64encode(os.urandom(16)).decode()
    if any(w in lower for w in ("key", "secret", "salt")):
        return base64.b64encode(os.urandom(32)).decode()
    return "value"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snippets", help="a checkout of Azure/api-management-policy-snippets")
    parser.add_argument("--tollgate", default=os.path.join(os.path.dirname(__file__), "..", "src", "Tollgate", "bin", "Release", "net10.0", "tollgate.dll"))
    parser.add_argument("--out", help="write the markdown report here too")
    args = parser.parse_args()

    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(args.snippets) for f in fs if f.endswith(".xml"))
    if not files:
        sys.exit(f"no .xml files under {args.snippets}")

    backend = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", backend), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    gw, mgmt = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="tollgate-snippets-")
    env = dict(os.environ, Tollgate__Gateway__HttpUrl=f"http://127.0.0.1:{gw}", Tollgate__Gateway__HttpsUrl="",
               Tollgate__Management__Url=f"http://127.0.0.1:{mgmt}", Tollgate__Management__HttpsUrl="",
               Logging__LogLevel__Default="Warning")
    log = open(os.path.join(data, "tollgate.log"), "w")
    proc = subprocess.Popen(["dotnet", args.tollgate, "run", "--roles", "gateway,management", "--data-dir", data],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    try:
        for _ in range(300):
            if call("GET", f"http://127.0.0.1:{mgmt}/", timeout=2)[0]:
                break
            time.sleep(0.2)
        token = subprocess.run(["dotnet", args.tollgate, "token", "--data-dir", data], capture_output=True, text=True,
                               check=True).stdout.strip().splitlines()[-1]
        base = f"http://127.0.0.1:{mgmt}/subscriptions/corpus/resourceGroups/corpus/providers/Microsoft.ApiManagement/service/corpus"

        def m(method, path, body=None):
            return call(method, f"{base}{path}?api-version={API_VERSION}", {"Authorization": token}, body)

        def ok(result, what):
            if not 200 <= result[0] < 300:
                sys.exit(f"{what}: {result[0]} {result[1][:500]}")
            return result

        ok(m("PUT", "", {"location": "local", "sku": {"name": "Developer", "capacity": 1},
                         "properties": {"publisherName": "Corpus", "publisherEmail": "corpus@example.com"}}), "instance")
        ok(m("PUT", "/apis/snippet", {"properties": {"displayName": "Snippet", "path": "snippet",
                                                     "serviceUrl": f"http://127.0.0.1:{backend}", "protocols": ["http"]}}), "api")
        for verb in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            ok(m("PUT", f"/apis/snippet/operations/{verb.lower()}",
                 {"properties": {"displayName": verb, "method": verb, "urlTemplate": "/*"}}), f"operation {verb}")
        ok(m("PUT", "/subscriptions/corpus", {"properties": {"scope": "/apis/snippet", "displayName": "corpus", "state": "active"}}), "subscription")
        key = json.loads(ok(m("POST", "/subscriptions/corpus/listSecrets"), "keys")[1])["primaryKey"]

        texts = {f: open(f, encoding="utf-8-sig").read() for f in files}
        names = sorted({n.strip() for t in texts.values() for n in re.findall(r"\{\{([^{}]+)\}\}", t)})
        numeric = numeric_uses(texts.values())
        for i, name in enumerate(names):
            m("PUT", f"/namedValues/nv{i}", {"properties": {"displayName": name, "value": named_value(name, backend, numeric)}})

        def is_fragment(text):
            return re.search(r"^\s*(<!--.*?-->\s*)*<fragment\b", text, re.S) is not None

        results = []
        # Fragments first, named after their file, as the snippets' include-fragment ids expect.
        for f in [f for f in files if is_fragment(texts[f])]:
            fid = re.sub(r"[^A-Za-z0-9-]", "-", os.path.splitext(os.path.basename(f))[0])
            status, body = m("PUT", f"/policyFragments/{fid}", {"properties": {"format": "rawxml", "value": texts[f]}})
            results.append((f, "works" if 200 <= status < 300 else azure_or_refused(body), "" if status < 300 else message(body)))
        for f in [f for f in files if not is_fragment(texts[f])]:
            status, body = m("PUT", "/apis/snippet/policies/policy", {"properties": {"format": "rawxml", "value": texts[f]}})
            if not 200 <= status < 300:
                results.append((f, azure_or_refused(body), message(body)))
                continue
            # The gateway takes the new snapshot within milliseconds; a build failure answers 500 naming it.
            time.sleep(0.3)
            code, answer = call("POST", f"http://127.0.0.1:{gw}/snippet/test?param=1", {"Ocp-Apim-Subscription-Key": key,
                                "Content-Type": "application/json", "Authorization": "Bearer x.y.z"}, b'{"a":1}', timeout=20)
            if code == 500 and re.search(r"cannot (be )?(built|run)|could not be built|not built", answer, re.I):
                results.append((f, "not built", message(answer)))
            else:
                results.append((f, "works", f"gateway answered {code}" + ("" if code < 400 else ": " + message(answer))))
            m("DELETE", "/apis/snippet/policies/policy")

        lines = ["| snippet | result | detail |", "|---|---|---|"]
        for f, result, detail in results:
            lines.append(f"| {os.path.relpath(f, args.snippets)} | {result} | {detail.replace('|', '/')[:300]} |")
        counts = {r: sum(1 for _, x, _ in results if x == r) for r in ("works", "refused", "not built", "needs Azure")}
        total = (f"snippets: {len(results)}, works {counts['works']}, refused {counts['refused']}, not built {counts['not built']}, "
                 f"needs Azure {counts['needs Azure']} (refused by name on purpose)")
        report = "\n".join(lines + ["", total])
        print(report)
        if args.out:
            with open(args.out, "w") as o:
                o.write(report + "\n")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()


def azure_or_refused(body):
    """Policies that need an Azure service (managed identity, Event Hubs, Azure AD tokens…) are refused by name."""
    return "needs Azure" if "needs an Azure service" in body else "refused"


def message(body):
    try:
        doc = json.loads(body)
        err = doc.get("error") or doc
        text = err.get("message") or body
        details = err.get("details") or []
        if details:
            text += " — " + "; ".join(d.get("message", "") for d in details[:3])
        return " ".join(text.split())
    except Exception:
        return " ".join(body.split())[:300]


if __name__ == "__main__":
    main()
