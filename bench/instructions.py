#!/usr/bin/env python3
"""Instructions per request of a berth binary, counted by valgrind (callgrind): a figure that,
unlike time, does not move with the load of a shared machine, so two builds compare exactly.
Counts user-space instructions only (the kernel's networking is the same for every build).

    bench/instructions.py BINARY [REQUESTS]     (default 500 requests per figure)

Each figure is (instructions of a run with 10 + REQUESTS calls - those of a run with 10) /
REQUESTS, so start-up and shutdown cancel out. Needs valgrind; takes a few minutes.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
WARM_UP = 10


def instructions(binary, repositories, request):
    """Total instructions of a berth that serves `repositories` creates then `request`s."""
    with tempfile.TemporaryDirectory() as scratch:
        log = os.path.join(scratch, "valgrind.log")
        server = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--log-file={log}",
             f"--callgrind-out-file={os.path.join(scratch, 'callgrind.out')}",
             binary, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            host, port = server.stdout.readline().strip().split("//", 1)[1].split(":")
            client = http.client.HTTPConnection(host, int(port), timeout=300)
            for n in range(repositories):
                call(client, "CreateRepository", '{"repositoryName":"bench/seed-%06d"}' % n)
            for _ in range(request[1]):
                request[0](client)
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate()
        with open(log) as text:
            return int(re.search(r"Collected : (\d+)", text.read()).group(1))


def call(client, operation, body):
    client.request("POST", "/", body=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET_PREFIX + operation})
    response = client.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"{operation} answered {response.status}")


def health(client):
    client.request("GET", "/_berth/health")
    client.getresponse().read()


def describe(client):
    call(client, "DescribeRepositories", "{}")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary, requests = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500
    for name, repositories, send in [
        ("GET /_berth/health", 1, health),
        ("DescribeRepositories, 1 repository", 1, describe),
        ("DescribeRepositories, 100 repositories", 100, describe),
    ]:
        base = instructions(binary, repositories, (send, WARM_UP))
        more = instructions(binary, repositories, (send, WARM_UP + requests))
        print(f"{name}: {(more - base) / requests:,.0f} instructions per request", flush=True)


if __name__ == "__main__":
    main()
