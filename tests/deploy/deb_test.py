#!/usr/bin/env python3
"""The Debian package, installed on this machine as an operator installs it.

Builds the .deb with CPack, installs it with dpkg, verifies the unit and its
sandbox rating, runs the unit's ExecStartPre and ExecStart as the wayhome user with
only installed files until it says READY=1 (sd_notify) and /readyz answers 200, stops
it with SIGTERM (STOPPING=1, exit 0), then purges: nothing is left but the state, and
WAYHOME_PURGE_STATE=yes removes that too. Needs root (CI is root): exits 77 (skipped)
otherwise. It changes the machine: it refuses to run if wayhome is installed already
from elsewhere.

usage: deb_test.py BUILD_DIR
"""
import grp
import json
import os
import pathlib
import pwd
import re
import shlex
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

from deploy_checks import check, failures

SKIP = 77
UNIT = pathlib.Path("/usr/lib/systemd/system/wayhome.service")


def run(*argv, env=None, check_rc=True, timeout=300):
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


def installed():
    p = run("dpkg-query", "-W", "-f=${Status}", "wayhome", check_rc=False)
    return "install ok installed" in p.stdout or "config-files" in p.stdout


def mode_owner(path):
    st = os.stat(path)
    return (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_commands():
    """ExecStartPre and ExecStart of the installed unit, as argv lists."""
    out = {}
    for line in UNIT.read_text().splitlines():
        m = re.match(r"^(ExecStartPre|ExecStart|User)=(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def main():
    if os.geteuid() != 0:
        print("skipped: installing a .deb needs root")
        return SKIP
    build = pathlib.Path(sys.argv[1]).resolve()
    if installed():
        print("skipped: a wayhome package is installed on this machine already")
        return SKIP
    stateless = not os.path.exists("/var/lib/wayhome")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wayhome-deb-") as tmp:
        tmp = pathlib.Path(tmp)
        run("cpack", "--config", str(build / "CPackConfig.cmake"), "-G", "DEB", "-B", str(tmp))
        debs = list(tmp.glob("wayhome_*.deb"))
        if not check(len(debs) == 1, f"one .deb built, got {debs}"):
            return 1
        deb = debs[0]
        print(f"built {deb.name} ({deb.stat().st_size // 1024} KiB) in {time.monotonic() - t0:.1f} s")
        control = run("dpkg-deb", "-f", str(deb), "Depends").stdout
        check("librdkafka" in control and "libc6" in control,
              f"Depends from shlibdeps (librdkafka, libc6): {control.strip()}")
        contents = run("dpkg-deb", "-c", str(deb)).stdout
        for path in ["./usr/bin/wayhome", "./usr/share/wayhome/schemas/",
                     "./usr/share/wayhome/rules.json", "./usr/share/wayhome/dashboard.html",
                     "./etc/wayhome/wayhome.jsonc", "./usr/lib/systemd/system/wayhome.service",
                     "./usr/share/doc/wayhome/OPERATIONS.md"]:
            check(path in contents, f"package holds {path}")

        try:
            run("dpkg", "-i", str(deb))
            cycle(first=True)
            run("dpkg", "--purge", "wayhome")
            after_purge(state_kept=True)
            # Again, over the kept state, then purge it all.
            run("dpkg", "-i", str(deb))
            check(mode_owner("/var/lib/wayhome")[1:] == ("wayhome", "wayhome"),
                  "kept state is the new wayhome user's after a reinstall")
            env = dict(os.environ, WAYHOME_PURGE_STATE="yes")
            run("dpkg", "--purge", "wayhome", env=env)
            after_purge(state_kept=False)
        finally:
            if installed():
                run("dpkg", "--purge", "wayhome", check_rc=False,
                    env=dict(os.environ, WAYHOME_PURGE_STATE="yes" if stateless else "no"))
    print(f"{len(failures)} failure(s) in {time.monotonic() - t0:.1f} s")
    return 1 if failures else 0


def cycle(first):
    check(user_exists("wayhome"), "system user wayhome exists")
    check(pwd.getpwnam("wayhome").pw_shell.endswith("nologin"), "wayhome has no login shell")
    check(mode_owner("/var/lib/wayhome") == (0o750, "wayhome", "wayhome"),
          f"/var/lib/wayhome 0750 wayhome:wayhome, is {mode_owner('/var/lib/wayhome')}")
    check(mode_owner("/etc/wayhome") == (0o750, "root", "wayhome"),
          f"/etc/wayhome 0750 root:wayhome, is {mode_owner('/etc/wayhome')}")
    check(mode_owner("/etc/wayhome/wayhome.jsonc") == (0o640, "root", "wayhome"),
          f"/etc/wayhome/wayhome.jsonc 0640 root:wayhome, is {mode_owner('/etc/wayhome/wayhome.jsonc')}")
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "wayhome").stdout
    check("/etc/wayhome/wayhome.jsonc" in conffiles, f"the config is a conffile: {conffiles!r}")

    verify = run("systemd-analyze", "verify", str(UNIT), check_rc=False)
    check(verify.returncode == 0 and "wayhome.service" not in verify.stderr,
          f"systemd-analyze verify: {verify.stdout}{verify.stderr}")
    security = run("systemd-analyze", "security", "--offline=yes", str(UNIT), check_rc=False)
    m = re.search(r"Overall exposure level for wayhome.service: ([0-9.]+) (\S+)", security.stdout)
    print(m.group(0) if m else security.stdout[-500:])
    check(m is not None and float(m.group(1)) <= 2.0,
          "systemd-analyze security rates the unit <= 2.0")

    # As an operator would before starting: pick the port (8080 may be taken here).
    port = free_port()
    config = pathlib.Path("/etc/wayhome/wayhome.jsonc")
    text = config.read_text()
    check('"port": 8080' in text, "shipped config listens on 8080")
    config.write_text(text.replace('"port": 8080', f'"port": {port}'))

    cmds = unit_commands()
    user = cmds["User"]
    check(user == "wayhome", "the unit runs as wayhome")
    # As systemd does: User= and Group= set in the child itself (not through runuser,
    # which would stand between the signal and the service).
    as_user = dict(user=user, group=user, extra_groups=[])
    r = subprocess.run(shlex.split(cmds["ExecStartPre"]), capture_output=True, text=True,
                       cwd="/var/lib/wayhome", timeout=30, **as_user)
    check(r.returncode == 0, f"ExecStartPre as wayhome: {r.returncode} {r.stderr}")

    sockdir = pathlib.Path(tempfile.mkdtemp(prefix="wayhome-notify-"))
    os.chmod(sockdir, 0o755)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(sockdir / "notify"))
    os.chmod(sockdir / "notify", 0o666)
    notify.settimeout(0.2)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET": str(sockdir / "notify"),
           "LANG": "C.UTF-8"}
    log = open(sockdir / "log", "w+")
    started = time.monotonic()
    proc = subprocess.Popen(shlex.split(cmds["ExecStart"]), cwd="/var/lib/wayhome", env=env,
                            stdout=log, stderr=subprocess.STDOUT, umask=0o027, **as_user)
    messages = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                messages.append(notify.recv(512).decode())
            except socket.timeout:
                pass
            if any("READY=1" in m for m in messages) and readyz(port) == 200:
                break
        ready_after = time.monotonic() - started
        check(any("READY=1" in m for m in messages), f"READY=1 sent to NOTIFY_SOCKET: {messages}")
        check(readyz(port) == 200, "/readyz answers 200")
        print(f"ready after {ready_after:.1f} s")
    finally:
        proc.terminate()
        try:
            rc = proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "killed"
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            messages.append(notify.recv(512).decode())
        except socket.timeout:
            break
    notify.close()
    check(rc == 0, f"exit code 0 after SIGTERM, got {rc}")
    check(any("STOPPING=1" in m for m in messages), f"STOPPING=1 sent: {messages}")
    log.seek(0)
    lines = [l for l in log.read().splitlines() if l.strip()]
    log.close()
    parsed = []
    for l in lines:
        try:
            parsed.append(json.loads(l))
        except ValueError:
            check(False, f"log line is not JSON: {l}")
    loaded = [p for p in parsed if p.get("msg") == "schemas loaded"]
    check(loaded and loaded[0].get("dir") == "/usr/share/wayhome/schemas",
          f"schemas from /usr/share/wayhome/schemas, log says {loaded}")
    check(os.path.exists("/var/lib/wayhome/state.db"), "state written to /var/lib/wayhome")
    subprocess.run(["rm", "-rf", str(sockdir)])


def after_purge(state_kept):
    left = [p for p in ["/usr/bin/wayhome", "/usr/share/wayhome", "/usr/share/doc/wayhome",
                        "/etc/wayhome", str(UNIT), "/etc/systemd/system/wayhome.service"]
            if os.path.lexists(p)]
    check(not left, f"purge leaves nothing of the package: {left}")
    check(not user_exists("wayhome"), "purge removes the wayhome user")
    overrides = run("dpkg-statoverride", "--list", check_rc=False).stdout
    check("wayhome" not in overrides, f"purge removes the stat overrides: {overrides}")
    check(os.path.isdir("/var/lib/wayhome") == state_kept,
          "state " + ("kept" if state_kept else "removed with WAYHOME_PURGE_STATE=yes"))


if __name__ == "__main__":
    sys.exit(main())
