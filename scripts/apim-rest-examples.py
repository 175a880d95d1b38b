#!/usr/bin/env python3
"""Runs APIM's REST API examples against a running Tollgate, unchanged, and prints how many are answered in APIM's shape.

    dotnet src/Tollgate/bin/Debug/net10.0/tollgate.dll demo          # or any running Tollgate
    python3 scripts/apim-rest-examples.py tests/Tollgate.FunctionalTests/Management/RestExamples [BASE_URL] \\
        [--token "SharedAccessSignature …"] [--data-dir DIR] [--service rest-examples]

DIR holds Microsoft's examples for the management API 2022-08-01 (Azure/azure-rest-api-specs, stored unchanged; see
DIR/SOURCE.md) and DIR/manifest.json: each example's operation (method and path from the swagger), the run order
(the instance first, then writes, reads, updates, actions, deletes, the instance last) and the prerequisites no
example creates. BASE_URL is the management listener (http://127.0.0.1:5081 by default). The token comes from
--token, else $TOLLGATE_TOKEN, else `tollgate token` (with --data-dir when the Tollgate runs on another data
directory). The examples run in an instance of their own (--service, created by the first example and deleted by the
last), so the demo's instance is left alone; one example regenerates the administrator's secondary key.

An example is answered in APIM's shape when the status code is one the example documents and the body has the
example's shape: the same property names, recursively, under `properties` (and in bodies that are not resources),
`id`/`name`/`type` of the same form, lists as `value` of such items. Values may differ (keys, dates, etags, what the
server decides). The functional test RestExamplesTests runs the same manifest with the same rules. Test traffic goes
only where BASE_URL points.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

# Keys whose values are the user's own dictionaries (names are data, not shape): only their presence is compared.
OPAQUE = {"customProperties", "document", "query", "header", "tags", "additionalProperties"}


def call(method, url, headers, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


def form(value):
    """An ARM id's form: its collection segments, the names left out (…/apis/{}/operations/{})."""
    parts = value.strip("/").split("/")
    return [p.lower() if i % 2 == 0 else "{}" for i, p in enumerate(parts)]


def type_form(value):
    return value.lower().replace("-", "")


def shape(expected, actual, path, problems):
    """Every property name of `expected` is in `actual`, recursively; arrays compare their items' common names."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append(f"{path}: expected an object, got {json.dumps(actual)[:80]}")
            return
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            elif key not in OPAQUE and actual[key] is not None:
                shape(value, actual[key], f"{path}.{key}", problems)
    elif isinstance(expected, list):
        if not isinstance(actual, list):
            problems.append(f"{path}: expected an array, got {json.dumps(actual)[:80]}")
            return
        items = [e for e in expected if isinstance(e, dict)]
        found = [a for a in actual if isinstance(a, dict)]
        if items and found:
            common = {k: v for k, v in items[0].items() if all(k in e for e in items)}
            union = {}
            for a in found:
                union.update({k: v for k, v in a.items() if v is not None or k not in union})
            shape(common, union, f"{path}[]", problems)


def resource(expected, actual, path, problems):
    """A resource: id/name/type of the example's form, and its properties' shape."""
    if not isinstance(actual, dict):
        problems.append(f"{path}: expected a resource, got {json.dumps(actual)[:80]}")
        return
    for key in ("id", "name", "type"):
        if key not in expected:
            continue
        if not isinstance(actual.get(key), str):
            problems.append(f"{path}.{key}: missing")
        elif key == "id" and form(actual[key]) != form(expected[key]):
            problems.append(f"{path}.id: {actual[key]} is not of the form {expected[key]}")
        elif key == "type" and type_form(actual[key]) != type_form(expected[key]):
            problems.append(f"{path}.type: {actual[key]}, APIM's is {expected[key]}")
    # A resource's properties; a body that names a resource without them (an export link): its other names.
    shape({"properties": expected["properties"]} if "properties" in expected
          else {k: v for k, v in expected.items() if k not in ("id", "name", "type")}, actual, path, problems)


def body_shape(expected, actual):
    problems = []
    if isinstance(expected, dict) and isinstance(expected.get("value"), list) and "nextLink" in expected:
        if not isinstance(actual, dict) or not isinstance(actual.get("value"), list):
            return ["body: expected a list {value, count, nextLink}"]
        for key in ("count", "nextLink"):
            if key not in actual:
                problems.append(f"body.{key}: missing")
        items = [e for e in expected["value"] if isinstance(e, dict)]
        if items and actual["value"]:
            # Each item's id/name/type; the properties every example item has, among those the items have.
            for i, item in enumerate(actual["value"]):
                resource({k: v for k, v in items[0].items() if k != "properties"}, item, f"body.value[{i}]", problems)
            common = {k: v for k, v in items[0].get("properties", {}).items() if all(k in e.get("properties", {}) for e in items)}
            union = {}
            for item in actual["value"]:
                if isinstance(item, dict) and isinstance(item.get("properties"), dict):
                    union.update({k: v for k, v in item["properties"].items() if v is not None or k not in union})
            shape(common, union, "body.value[].properties", problems)
    elif isinstance(expected, dict) and ("properties" in expected or "id" in expected):
        resource(expected, actual, "body", problems)
    else:
        shape(expected, actual, "body", problems)
    return problems


def response_properties(documented, name):
    """The properties of the example's answer (200, else 201); in a list, those of the item with that name."""
    body = next(documented[c]["body"] for c in ("200", "201") if "body" in documented.get(c, {}))
    if isinstance(body.get("value"), list):
        body = next(item for item in body["value"] if item.get("name") == name)
    return body["properties"]


def instance_ids(body, parameters, service):
    """The example's ARM ids of its own instance (…/service/apimService1/…) as ids of the instance the run uses."""
    if body is None:
        return None
    example = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}".format(**parameters)
    text = re.sub(re.escape(example), lambda _: service, json.dumps(body), flags=re.IGNORECASE)
    return json.loads(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="the examples and their manifest.json (tests/Tollgate.FunctionalTests/Management/RestExamples)")
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:5081", help="the management API (default http://127.0.0.1:5081)")
    parser.add_argument("--token", default=os.environ.get("TOLLGATE_TOKEN"), help="Authorization header value; default $TOLLGATE_TOKEN, else `tollgate token`")
    parser.add_argument("--tollgate", default=os.path.join(os.path.dirname(__file__), "..", "src", "Tollgate", "bin", "Debug", "net10.0", "tollgate.dll"))
    parser.add_argument("--data-dir", help="the running Tollgate's data directory, for `tollgate token`")
    parser.add_argument("--subscription", default="00000000-0000-0000-0000-000000000000")
    parser.add_argument("--resource-group", default="tollgate")
    parser.add_argument("--service", default="rest-examples", help="the instance the examples create, use and delete")
    parser.add_argument("--verbose", action="store_true", help="print every example, not only the ones not in shape")
    args = parser.parse_args()

    manifest = json.load(open(os.path.join(args.dir, "manifest.json"), encoding="utf-8"))
    token = args.token
    if not token:
        command = ["dotnet", os.path.abspath(args.tollgate), "token"] + (["--data-dir", args.data_dir] if args.data_dir else [])
        token = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    base_url = args.base_url.rstrip("/")
    service = f"/subscriptions/{args.subscription}/resourceGroups/{args.resource_group}/providers/Microsoft.ApiManagement/service/{args.service}"
    instance = {"subscriptionId": args.subscription, "resourceGroupName": args.resource_group, "serviceName": args.service}

    def send(method, path, body=None, if_match=None):
        headers = {"Authorization": token}
        if if_match:
            headers["If-Match"] = if_match
        sep = "&" if "?" in path else "?"
        return call(method, f"{base_url}{path}{sep}api-version=2022-08-01", headers, body)

    answered, results = 0, []
    for entry in manifest["examples"]:
        example = json.load(open(os.path.join(args.dir, entry["file"]), encoding="utf-8"))
        parameters = example["parameters"]
        documented = example["responses"]
        problems = []
        for step in entry.get("setup", []):
            body = step.get("body")
            if body == "response":
                body = {"properties": response_properties(documented, step["path"].rsplit("/", 1)[-1])}
            status, _, text = send(step["method"], f"{service}/{step['path']}", instance_ids(body, parameters, service))
            if status >= 300 and not (step["method"] == "DELETE" and status == 404):
                problems.append(f"setup {step['method']} {step['path']}: {status} {text[:200]}")

        def value(match):
            name = match.group(1)
            return instance[name] if name in instance else urllib.parse.quote(str(parameters[name]), safe=";=")
        path = re.sub(r"\{([^}]+)\}", value, entry["path"])
        status, headers, text = send(entry["method"], path, instance_ids(parameters.get("parameters"), parameters, service), parameters.get("If-Match"))
        if str(status) not in documented:
            problems.append(f"status {status} (APIM documents {', '.join(documented)}): {text[:300]}")
        else:
            expected = documented[str(status)]
            if "body" in expected:
                try:
                    problems += body_shape(expected["body"], json.loads(text))
                except ValueError:
                    problems.append(f"body is not JSON: {text[:200]}")
            if "etag" in {h.lower() for h in expected.get("headers", {})} and "etag" not in {h.lower() for h in headers}:
                problems.append("ETag header: missing")
        if not problems:
            answered += 1
        results.append((entry["file"], entry["method"], problems))

    for name, method, problems in results:
        if problems or args.verbose:
            print(f"{'ok ' if not problems else 'NOT'} {method:6} {name}")
            for p in problems:
                print(f"      {p}")
    print(f"{answered} of {len(results)} in-scope examples answered in APIM's shape")
    return 0


if __name__ == "__main__":
    sys.exit(main())
