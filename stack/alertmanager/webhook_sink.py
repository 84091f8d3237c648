#!/usr/bin/env python3
"""Minimal Alertmanager webhook receiver (standard library only).

Appends every notification it receives as one JSON line to --log (and to
stdout), tagged with the receiver path (/alerts/page, /alerts/ticket).
GET /health answers 200; GET /alerts returns the notifications received.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
RECEIVED = []


class Handler(BaseHTTPRequestHandler):
    log_file = None

    def log_message(self, fmt, *args):  # quiet default access log
        pass

    def _reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._reply(200, {"status": "ok"})
        elif self.path == "/alerts":
            with LOCK:
                self._reply(200, list(RECEIVED))
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {"raw": raw.decode("utf-8", "replace")}
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "receiver_path": self.path,
            "status": payload.get("status") if isinstance(payload, dict) else None,
            "alerts": [
                {"labels": a.get("labels", {}), "status": a.get("status")}
                for a in (payload.get("alerts", []) if isinstance(payload, dict) else [])
            ],
        }
        line = json.dumps(entry, separators=(",", ":"))
        with LOCK:
            RECEIVED.append(entry)
            print(line, flush=True)
            if self.log_file:
                with open(self.log_file, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
        self._reply(200, {"ok": True})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--log", default=None, help="append notifications to this file")
    a = p.parse_args()
    Handler.log_file = a.log
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    print(json.dumps({"msg": "alert sink listening", "host": a.host, "port": a.port}), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
