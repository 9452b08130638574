#!/usr/bin/env python3
"""A local HTTPS webhook receiver for the delivery tests.

Usage: tls_receiver.py CERT KEY REQUESTS_FILE PORT_FILE
Answers every POST with 200 and appends it to REQUESTS_FILE as one JSON line
(path, lower-case headers, body); writes its port to PORT_FILE once it listens.
"""
import http.server
import json
import os
import ssl
import sys

cert, key, requests_file, port_file = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(requests_file, "a", encoding="utf-8") as out:
            out.write(json.dumps({"path": self.path,
                                  "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body.decode("utf-8")}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
