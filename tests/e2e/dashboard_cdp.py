#!/usr/bin/python3
"""Drives the dashboard in a real headless Chromium over the DevTools protocol.

usage: dashboard_cdp.py URL TOKEN DLQ_ID SCREENSHOT

Loads the page, enters the admin token, waits for live numbers, checks that they move
while the test feeds the bus, clicks "replay" on dead letter DLQ_ID and waits for the
page to show it replayed, saves a screenshot, and fails on any console error.
Exit code 0 when every check passed; otherwise the failed check is printed.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # Debian: python3-websocket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.errors = []

    def _record(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text", "exception") + ": " +
                               json.dumps(params["exceptionDetails"].get("exception", {}).get("description", "")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append("console.error: " + json.dumps(params.get("args")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append("log: " + params["entry"].get("text", "") + " " + params["entry"].get("url", ""))

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise RuntimeError(method + ": " + json.dumps(message["error"]))
                return message.get("result", {})
            self._record(message)

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError("evaluating " + expression + ": " + json.dumps(result["exceptionDetails"]))
        return result["result"].get("value")

    def wait(self, expression, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError("timed out waiting for " + what)


def main():
    url, token, dlq_id, screenshot = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix="wayhome-chromium-")
    port = free_port()
    browser = subprocess.Popen(
        ["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--user-data-dir=" + profile,
         "--remote-debugging-port=" + str(port), "--remote-allow-origins=*",
         "--window-size=1400,1600", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    page = None
    try:
        targets = None
        deadline = time.time() + 30
        while time.time() < deadline and not targets:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=2) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
            except OSError:
                time.sleep(0.2)
        if not targets:
            raise AssertionError("chromium did not offer a page to drive")
        page = Page(targets[0]["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page", "Network"):
            page.call(domain + ".enable")
        # The operator's token is in the session before the page's first request, as
        # after an operator typed it once.
        page.call("Page.addScriptToEvaluateOnNewDocument",
                  source="sessionStorage.setItem('wayhome-token', %s);" % json.dumps(token))
        page.call("Page.navigate", url=url)
        page.wait("document.readyState === 'complete' && !!document.getElementById('token')", "the page")
        page.wait("/^[0-9]+$/.test(document.getElementById('published').textContent)", "published count")
        page.wait("document.getElementById('ready').textContent === 'ready'", "readiness badge")
        page.wait("document.querySelectorAll('#topics tbody tr[data-topic]').length >= 10", "the topic table")

        written = "Number(document.querySelector('#topics tr[data-topic=\"cases.loan\"] td:nth-child(3)').textContent)"
        first = page.js(written)
        page.wait(written + " > " + str(first), "the cases.loan count to move", timeout=40)

        row = "document.querySelector('#dlq tr[data-id=\"%s\"]')" % dlq_id
        page.wait("!!(" + row + " && " + row + ".querySelector('button.replay'))", "the dead letter's replay button")
        page.js(row + ".querySelector('button.replay').click(), true")
        page.wait(row + " && " + row + ".dataset.state === 'replayed'", "the dead letter to show replayed")

        page.wait("document.querySelectorAll('#tail tbody tr[data-offset]').length > 0", "the live tail")
        shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        import base64
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        page.js("1")  # drain events that arrived meanwhile
        if page.errors:
            raise AssertionError("console errors: " + "; ".join(page.errors))
        print("dashboard ok: cases.loan moved from", first, "and", dlq_id, "was replayed")
        return 0
    except (AssertionError, RuntimeError) as e:
        print("dashboard check failed:", e)
        try:
            print("page says:", page.js("document.getElementById('message').textContent"))
            print("dead letters:", page.js("document.querySelector('#dlq tbody').innerHTML")[:2000])
            print("console errors:", page.errors)
        except Exception:  # the page itself may be what failed
            pass
        return 1
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
