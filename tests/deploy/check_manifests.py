#!/usr/bin/env python3
"""deploy/k8s/ parses, has the kinds and fields operations relies on, and does not
drift: the Strimzi topics and users equal what the binary's catalogue prints, the
ConfigMap's rules equal deploy/config/rules.json, the PrometheusRule equals
deploy/prometheus/alerts.yml, and every wayhome_* series the alerts and the Grafana
dashboard use is one the code exports.

usage: check_manifests.py SOURCE_DIR WAYHOME_BINARY
"""
import json
import pathlib
import re
import subprocess
import sys

import yaml

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def load_all(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def main():
    src = pathlib.Path(sys.argv[1])
    binary = sys.argv[2]
    k8s = src / "deploy" / "k8s"

    docs = {}
    for f in sorted(k8s.glob("*.yaml")):
        try:
            for d in load_all(f):
                docs.setdefault(d["kind"], []).append((f.name, d))
        except yaml.YAMLError as e:
            failures.append(f"{f.name}: not YAML: {e}")
    kust = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    for r in kust["resources"]:
        check((k8s / r).is_file(), f"kustomization.yaml names missing {r}")

    for kind in ["Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy",
                 "ServiceMonitor", "PrometheusRule", "KafkaTopic", "KafkaUser", "Secret"]:
        check(kind in docs, f"no {kind} in deploy/k8s")

    # Deployment: two replicas, probes, resources, non-root read-only.
    _, dep = docs["Deployment"][0]
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    check(spec["replicas"] == 2, "Deployment: replicas must be 2")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe must GET /healthz")
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe must GET /readyz")
    check("requests" in c["resources"] and "limits" in c["resources"], "resources: requests and limits")
    sc = c["securityContext"]
    check(pod["securityContext"].get("runAsNonRoot") is True, "pod: runAsNonRoot")
    check(sc.get("readOnlyRootFilesystem") is True, "container: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, "container: allowPrivilegeEscalation false")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], "container: drop ALL capabilities")
    secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    secrets |= {e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})}
    for s in ["wayhome-ops-tokens", "wayhome-identity", "wayhome-postgresql", "wayhome"]:
        check(s in secrets, f"Deployment does not reference Secret {s}")
    labels = spec["template"]["metadata"]["labels"]
    for kind in ["Service", "PodDisruptionBudget", "NetworkPolicy"]:
        _, d = docs[kind][0]
        sel = d["spec"].get("selector") or d["spec"].get("podSelector")
        sel = sel.get("matchLabels", sel)
        check(all(labels.get(k) == v for k, v in sel.items()), f"{kind} does not select the pods")
    _, pdb = docs["PodDisruptionBudget"][0]
    check(pdb["spec"].get("minAvailable") == 1, "PodDisruptionBudget: minAvailable 1")
    _, sm = docs["ServiceMonitor"][0]
    check(sm["spec"]["endpoints"][0]["path"] == "/metrics", "ServiceMonitor scrapes /metrics")

    # ConfigMap: a valid config (the binary says so, token files aside) and the rules.
    _, cm = docs["ConfigMap"][0]
    config = json.loads(cm["data"]["wayhome.jsonc"])
    rules = json.loads((src / "deploy" / "config" / "rules.json").read_text())
    check(json.loads(cm["data"]["rules.json"]) == rules,
          "configmap.yaml rules.json differs from deploy/config/rules.json")

    # The configs we ship pass the binary's own check (token files stand-ins here).
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        token = pathlib.Path(tmp) / "token"
        token.write_text("a-stand-in-token-of-24-chars\n")
        token.chmod(0o600)  # the service refuses a token file others may read
        k8s_config = json.loads(json.dumps(config))
        for i, t in enumerate(k8s_config.get("ops", {}).get("tokens", [])):
            # One stand-in per token: two tokens with one value are refused.
            own = pathlib.Path(tmp) / f"token-{i}"
            own.write_text(f"a-stand-in-token-of-24-chars-{i}\n")
            own.chmod(0o600)
            t["token_file"] = str(own)
        (pathlib.Path(tmp) / "k8s.json").write_text(json.dumps(k8s_config))
        for f in [pathlib.Path(tmp) / "k8s.json", src / "deploy/debian/wayhome.jsonc",
                  src / "deploy/container/wayhome.jsonc"]:
            r = subprocess.run([binary, "check-config", "--config", str(f)], capture_output=True,
                               text=True)
            check(r.returncode == 0, f"check-config {f.name}: {r.stdout}{r.stderr}")

    # PrometheusRule = alerts.yml.
    alerts = yaml.safe_load((src / "deploy" / "prometheus" / "alerts.yml").read_text())
    _, pr = docs["PrometheusRule"][0]
    check(pr["spec"] == alerts, "prometheusrule.yaml differs from deploy/prometheus/alerts.yml")

    # Strimzi: regenerate from the catalogue with the ConfigMap's prefix and partitions.
    prefix = config["bus"]["topic_prefix"]
    partitions = str(config["bus"]["default_partitions"])
    generated = subprocess.run(
        [binary, "topics", "list", "--format", "strimzi", "--prefix", prefix,
         "--partitions", partitions], check=True, capture_output=True, text=True).stdout
    committed = (k8s / "strimzi.yaml").read_text()
    if not check(generated == committed,
                 "deploy/k8s/strimzi.yaml differs from the catalogue; regenerate with: wayhome "
                 f"topics list --format strimzi --prefix {prefix} --partitions {partitions} "
                 "> deploy/k8s/strimzi.yaml"):
        import difflib
        sys.stderr.writelines(difflib.unified_diff(committed.splitlines(True),
                                                   generated.splitlines(True),
                                                   "committed", "generated", n=1))
    catalogue = json.loads(subprocess.run(
        [binary, "topics", "list", "--format", "json", "--prefix", prefix, "--partitions",
         partitions], check=True, capture_output=True, text=True).stdout)
    topics = {d["spec"]["topicName"]: d for _, d in docs["KafkaTopic"]}
    check(set(topics) == {t["name"] for t in catalogue["topics"]}, "KafkaTopics != catalogue")
    for t in catalogue["topics"]:
        d = topics.get(t["name"])
        if d:
            check(d["spec"]["partitions"] == t["partitions"], f"{t['name']}: partitions")
            check(d["spec"]["config"]["retention.ms"] == t["retention_ms"], f"{t['name']}: retention")
    # Sector users read only their own referrals.<sector> and notices.<sector>.
    users = {d["metadata"]["name"]: d for _, d in docs["KafkaUser"]}
    sectors = sorted({r for t in catalogue["topics"] for r in t["readers"] if r != "wayhome"})
    check(len(sectors) >= 5, "catalogue names the sectors that read")
    for s in sectors:
        name = "wayhome-sector-" + s.replace("_", "-")
        u = users.get(name)
        if not check(u is not None, f"no KafkaUser {name}"):
            continue
        readable = {a["resource"]["name"] for a in u["spec"]["authorization"]["acls"]
                    if a["resource"]["type"] == "topic"}
        check(readable == {f"{prefix}referrals.{s}", f"{prefix}notices.{s}"},
              f"{name} may read {sorted(readable)}")
        for a in u["spec"]["authorization"]["acls"]:
            check(a["resource"].get("patternType") == "literal" or a["resource"]["type"] == "group",
                  f"{name}: topic ACLs must be literal")
            check("Write" not in a["operations"], f"{name} must not write")

    # Every wayhome_* series used by alerts and dashboard is exported by the code.
    code = "".join(p.read_text(errors="replace") for d in ["services", "connectors", "bus"]
                   for p in (src / d).rglob("*.cpp"))
    used = set(re.findall(r"wayhome_[a-z_]+", (src / "deploy/prometheus/alerts.yml").read_text()))
    used |= set(re.findall(r"wayhome_[a-z_]+", (src / "deploy/grafana/wayhome.json").read_text()))
    for m in sorted(used):
        check(f'"{m}"' in code, f"{m} is used by alerts or dashboard but no code exports it")
    dash = json.loads((src / "deploy/grafana/wayhome.json").read_text())
    check(len(dash["panels"]) >= 10, "dashboard has its panels")

    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s); {sum(len(v) for v in docs.values())} documents checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
