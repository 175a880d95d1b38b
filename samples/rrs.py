#!/usr/bin/env python3
"""RRS sample client, as in the Azure ML Studio (classic) tutorial: post one request and print the result.

Fill in the URL and the API key from the web service dashboard (or set RRS_URL and API_KEY), then run:
    python3 samples/rrs.py
Only the standard library and `requests` are needed.
"""
import json
import os
import sys

import requests

# The service's API location + /execute; `tollgate demo` prints the workspace and service ids.
url = os.environ.get("RRS_URL", "http://127.0.0.1:5082/workspaces/<workspace id>/services/<service id>/execute?api-version=2.0&details=true")
api_key = os.environ.get("API_KEY", "<api key>")  # Replace this with the API key for the web service
text = os.environ.get("RRS_TEXT", "This is a good day")

body = {
    "Inputs": {"input1": {"ColumnNames": ["Col2"], "Values": [[text]]}},
    "GlobalParameters": {},
}
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + api_key}
extra = os.environ.get("EXTRA_HEADERS")  # e.g. "Ocp-Apim-Subscription-Key: …" to call through the gateway
if extra:
    name, _, value = extra.partition(":")
    headers[name.strip()] = value.strip()

response = requests.post(url, data=json.dumps(body), headers=headers, verify=os.environ.get("VERIFY_TLS", "1") == "1", timeout=60)
if response.status_code != 200:
    print("The request failed with status code: " + str(response.status_code))
    # Print the headers - they include the request ID and the timestamp, which are useful for debugging the failure
    print(dict(response.headers))
    print(response.text)
    sys.exit(1)

print(json.dumps(response.json(), indent=2))
