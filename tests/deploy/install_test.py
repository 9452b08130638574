#!/usr/bin/env python3
"""cmake --install into a DESTDIR staging tree under another prefix, then the tree
moved elsewhere: the binary finds its schemas and rules beside itself, never in the
source tree, and the unit and the example config name the prefix installed to.

usage: install_test.py BUILD_DIR SOURCE_DIR
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

from deploy_checks import check, failures


def main():
    build = pathlib.Path(sys.argv[1]).resolve()
    src = pathlib.Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory(prefix="wayhome-install-") as tmp:
        tmp = pathlib.Path(tmp)
        stage = tmp / "stage"
        subprocess.run(["cmake", "--install", str(build), "--prefix", "/opt/wayhome"],
                       env={"DESTDIR": str(stage), "PATH": "/usr/bin:/bin"}, check=True,
                       capture_output=True)
        root = stage / "opt/wayhome"
        for rel in ["bin/wayhome", "share/wayhome/rules.json", "share/wayhome/dashboard.html",
                    "share/wayhome/prometheus/alerts.yml", "share/wayhome/grafana/wayhome.json",
                    "etc/wayhome/wayhome.jsonc", "lib/systemd/system/wayhome.service",
                    "share/doc/wayhome/OPERATIONS.md"]:
            check((root / rel).exists(), f"installed {rel}")
        schemas = sorted(p.name for p in (root / "share/wayhome/schemas").glob("*.schema.json"))
        expected = sorted(p.name for p in (src / "schemas/events").glob("*.schema.json"))
        check(schemas == expected, "every event schema installed")
        unit = (root / "lib/systemd/system/wayhome.service").read_text()
        check("ExecStart=/opt/wayhome/bin/wayhome serve --config /opt/wayhome/etc/wayhome/wayhome.jsonc"
              in unit, "unit names the prefix installed to")
        check(not any(str(p) in unit for p in [build, src]), "unit names no build or source path")

        # Move the tree: nothing may depend on /opt/wayhome or the source tree now.
        moved = tmp / "elsewhere" / "wayhome"
        moved.parent.mkdir()
        shutil.move(str(root), str(moved))
        binary = moved / "bin/wayhome"
        event = src / "schemas/events/consent.granted.v1.examples.json"
        example = json.loads(event.read_text())
        doc = tmp / "event.json"
        doc.write_text(json.dumps(example["valid"][0]))
        r = subprocess.run([str(binary), "validate", "consent.granted.v1", str(doc)],
                           capture_output=True, text=True, cwd=tmp)
        check(r.returncode == 0 and "valid" in r.stdout, f"relocated validate: {r.stdout}{r.stderr}")
        # Take the schema away from the relocated tree only: the binary must miss it.
        (moved / "share/wayhome/schemas/consent.granted.v1.schema.json").unlink()
        r = subprocess.run([str(binary), "validate", "consent.granted.v1", str(doc)],
                           capture_output=True, text=True, cwd=tmp)
        check(r.returncode != 0, "the relocated binary reads its own share/wayhome, "
              f"not the source tree: {r.returncode} {r.stdout}{r.stderr}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
