"""Health probe of a Django release over a unix socket (stdlib only).

    probe.py --socket PATH --path /healthz --host localhost
        GET the path from a running gunicorn (the live service).
    probe.py --spawn WSGI --path /healthz --host localhost
        Start a throwaway gunicorn of the release in the current directory on
        a private socket, GET the path, stop it. This runs the new release's
        own code, interpreter and settings against the database before any
        user is sent to it.

Exit 0 only for HTTP 200. Hand-rolled because the standard library has no
HTTP client for unix sockets and the targets get nothing from PyPI that the
app itself does not need.
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def get(path, socket_path, host, timeout):
    conn = UnixHTTPConnection(socket_path, timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.read(200).decode("utf-8", "replace")
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket")
    parser.add_argument("--spawn", metavar="WSGI")
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    if args.socket:
        status, body = get(args.path, args.socket, args.host, args.timeout)
        print(f"{status} {body.strip()}")
        return 0 if status == 200 else 1

    workdir = tempfile.mkdtemp(prefix="takeover-probe-")
    sock = os.path.join(workdir, "gunicorn.sock")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"unix:{sock}",
         "--chdir", os.getcwd(), args.spawn],
    )
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            if server.poll() is not None:
                print(f"gunicorn of the new release exited with {server.returncode}")
                return 1
            try:
                status, body = get(args.path, sock, args.host, max(deadline - time.monotonic(), 1))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    print("gunicorn of the new release never answered")
                    return 1
                time.sleep(0.2)
        print(f"{status} {body.strip()}")
        return 0 if status == 200 else 1
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
