#!/usr/bin/env python3
"""BES sample client, as in the Azure ML Studio (classic) tutorial: upload a CSV to blob storage, submit a batch job,
start it, poll its status once a second until it ends, then download the first output.

Set the variables below (or the environment variables of the same names) and run:
    python3 samples/bes.py
Needs `requests`. Blob storage goes through `azure-storage-blob` when it is installed; otherwise through the small
Shared Key client below (enough for one upload; the download uses the SAS the job returns).
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse

import requests

BASE_URL = os.environ.get("BES_URL", "http://127.0.0.1:5082/workspaces/<workspace id>/services/<service id>")
API_KEY = os.environ.get("API_KEY", "<api key>")  # Replace this with the API key for the web service
STORAGE_CONNECTION_STRING = os.environ.get("STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<key>")
STORAGE_CONTAINER = os.environ.get("STORAGE_CONTAINER", "mycontainer")
INPUT_FILE = os.environ.get("INPUT_FILE", "input.csv")  # a CSV with a header row and a Col2 column
OUTPUT_FILE = os.environ.get("OUTPUT_FILE", "myresults.csv")
TIMEOUT_SECONDS = int(os.environ.get("TIMEOUT_SECONDS", "600"))


def parse_connection_string(text):
    parts = dict(p.split("=", 1) for p in text.split(";") if "=" in p)
    account = parts["AccountName"]
    endpoint = parts.get("BlobEndpoint") or "{0}://{1}.blob.{2}".format(
        parts.get("DefaultEndpointsProtocol", "https"), account, parts.get("EndpointSuffix", "core.windows.net"))
    return account, parts["AccountKey"], endpoint.rstrip("/")


def shared_key_request(method, url, account, key, body=b"", extra_headers=None):
    """One Blob service call signed with Shared Key (the storage REST API's own scheme)."""
    headers = {
        "x-ms-date": datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "x-ms-version": "2021-08-06",
    }
    headers.update(extra_headers or {})
    length = str(len(body)) if body else ""
    content_type = headers.get("Content-Type", "")
    canonical_headers = "".join("{0}:{1}\n".format(k, v) for k, v in sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-ms-")))
    parsed = urllib.parse.urlparse(url)
    resource = "/" + account + parsed.path
    query = urllib.parse.parse_qs(parsed.query)
    for name in sorted(query):
        resource += "\n{0}:{1}".format(name.lower(), ",".join(sorted(query[name])))
    string_to_sign = "\n".join([method, "", "", length, "", content_type, "", "", "", "", "", ""]) + "\n" + canonical_headers + resource
    signature = base64.b64encode(hmac.new(base64.b64decode(key), string_to_sign.encode("utf-8"), hashlib.sha256).digest()).decode()
    headers["Authorization"] = "SharedKey {0}:{1}".format(account, signature)
    return requests.request(method, url, data=body or None, headers=headers, timeout=120)


def upload_file_to_blob(input_file, container, blob_name):
    print("Uploading the input to blob storage...")
    try:
        from azure.storage.blob import BlobServiceClient  # the original sample's client, when installed
        service = BlobServiceClient.from_connection_string(STORAGE_CONNECTION_STRING)
        try:
            service.create_container(container)
        except Exception:  # the container exists
            pass
        with open(input_file, "rb") as data:
            service.get_blob_client(container, blob_name).upload_blob(data, overwrite=True)
        return
    except ImportError:
        pass
    account, key, endpoint = parse_connection_string(STORAGE_CONNECTION_STRING)
    created = shared_key_request("PUT", "{0}/{1}?restype=container".format(endpoint, container), account, key)
    if created.status_code not in (201, 409):
        raise RuntimeError("Creating the container failed: {0} {1}".format(created.status_code, created.text))
    with open(input_file, "rb") as data:
        body = data.read()
    uploaded = shared_key_request("PUT", "{0}/{1}/{2}".format(endpoint, container, blob_name), account, key, body,
                                  {"x-ms-blob-type": "BlockBlob", "Content-Type": "text/csv"})
    if uploaded.status_code != 201:
        raise RuntimeError("Uploading failed: {0} {1}".format(uploaded.status_code, uploaded.text))


def process_results(result):
    first = True
    results = result["Results"]
    for output_name in results:
        location = results[output_name]
        url = location["BaseLocation"] + location["RelativeLocation"] + location["SasBlobToken"]
        print("The result '{0}' is available at: {1}".format(output_name, location["BaseLocation"] + location["RelativeLocation"]))
        if first:
            print("Reading the result from " + url)
            response = requests.get(url, timeout=600)
            response.raise_for_status()
            with open(OUTPUT_FILE, "wb") as f:
                f.write(response.content)
            print("Downloaded the first output to " + OUTPUT_FILE)
            first = False


def invoke_batch_execution_service():
    blob_name = "input/" + os.path.basename(INPUT_FILE)
    upload_file_to_blob(INPUT_FILE, STORAGE_CONTAINER, blob_name)
    payload = {
        "Inputs": {"input1": {"ConnectionString": STORAGE_CONNECTION_STRING, "RelativeLocation": "/" + STORAGE_CONTAINER + "/" + blob_name}},
        "Outputs": {"output1": {"ConnectionString": STORAGE_CONNECTION_STRING, "RelativeLocation": "/" + STORAGE_CONTAINER + "/output/" + os.path.basename(OUTPUT_FILE)}},
        "GlobalParameters": {},
    }
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + API_KEY}

    print("Submitting the job...")
    response = requests.post(BASE_URL + "/jobs?api-version=2.0", data=json.dumps(payload), headers=headers, timeout=60)
    if response.status_code != 200:
        print("The request failed with status code: " + str(response.status_code))
        print(dict(response.headers))
        print(response.text)
        return 1
    job_id = response.json()
    print("Job ID: " + job_id)

    print("Starting the job...")
    response = requests.post(BASE_URL + "/jobs/" + job_id + "/start?api-version=2.0", headers=headers, timeout=60)
    if response.status_code // 100 != 2:
        print("Starting the job failed: {0} {1}".format(response.status_code, response.text))
        return 1

    url = BASE_URL + "/jobs/" + job_id + "?api-version=2.0"
    start = time.time()
    while True:
        print("Checking the job status...")
        response = requests.get(url, headers=headers, timeout=60)
        result = response.json()
        status = result["StatusCode"]
        if status in (0, "NotStarted"):
            print("Job " + job_id + " not yet started...")
        elif status in (1, "Running"):
            print("Job " + job_id + " running...")
        elif status in (2, "Failed"):
            print("Job " + job_id + " failed!")
            print("Error details: " + str(result["Details"]))
            return 1
        elif status in (3, "Cancelled"):
            print("Job " + job_id + " cancelled!")
            return 1
        elif status in (4, "Finished"):
            print("Job " + job_id + " finished!")
            process_results(result)
            return 0
        if time.time() - start > TIMEOUT_SECONDS:
            print("Timed out: deleting the job " + job_id)
            requests.delete(url, headers=headers, timeout=60)
            return 1
        time.sleep(1)  # wait one second


if __name__ == "__main__":
    sys.exit(invoke_batch_execution_service())
