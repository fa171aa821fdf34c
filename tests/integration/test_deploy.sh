#!/usr/bin/env bash
# Deployment artefacts: the systemd unit passes systemd-analyze verify and
# has the hardening it promises; sysusers creates the user; cmake --install
# and the CPack .deb hold the binary, unit, config and examples; the
# container, compose and Kubernetes files have the images, ports, mounts and
# capabilities they must have (parsed, not run: no container runtime here).
source "$(dirname "$0")/lib.sh"
need python3; need systemd-analyze; need cmake; need cpack; need dpkg-deb
BUILD=${CW_BUILD_DIR:?CW_BUILD_DIR is not set (run through ctest)}
D=$CW_SOURCE_DIR/deploy
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml not installed (run deploy/install-deps.sh)"

# --- systemd unit -------------------------------------------------------
mkdir -p "$WORK/unit"
sed "s|/usr/bin/circuitwatch|$CW_BIN|g" "$D/systemd/circuitwatch.service" > "$WORK/unit/circuitwatch.service"
systemd-analyze verify "$WORK/unit/circuitwatch.service" >"$WORK/verify" 2>&1; rc=$?
check "systemd-analyze verify passes on the unit" test "$rc" = 0 -a ! -s "$WORK/verify"
[ -s "$WORK/verify" ] && cat "$WORK/verify"
unit() { grep -qx "$1" "$D/systemd/circuitwatch.service"; }
check "the unit runs as its own user" unit "User=circuitwatch"
check "only CAP_NET_RAW and CAP_NET_ADMIN, as ambient capabilities" \
  unit "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN"
check "the capability bounding set is the same two" unit "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN"
check "the system is read-only (ProtectSystem=strict)" unit "ProtectSystem=strict"
check "a state directory for billing state and the Kafka spool" unit "StateDirectory=circuitwatch"
check "no new privileges" unit "NoNewPrivileges=yes"
systemd-analyze security --offline=yes "$WORK/unit/circuitwatch.service" >"$WORK/sec" 2>&1
score=$(sed -n 's/.*Overall exposure level for circuitwatch.service: \([0-9.]*\).*/\1/p' "$WORK/sec")
check "systemd-analyze security rates the unit at most 2.5 (got ${score:-none})" \
  python3 -c "import sys; sys.exit(0 if '$score' and float('$score') <= 2.5 else 1)"
mkdir -p "$WORK/root/etc"
systemd-sysusers --root="$WORK/root" "$D/systemd/circuitwatch.sysusers" >/dev/null 2>&1
check "sysusers.d creates the circuitwatch user with no login shell" \
  grep -q '^circuitwatch:x:[0-9]*:[0-9]*:.*:/var/lib/circuitwatch:/usr/sbin/nologin$' "$WORK/root/etc/passwd"

# --- cmake --install and the .deb ---------------------------------------
DESTDIR="$WORK/stage" cmake --install "$BUILD" --prefix /usr >"$WORK/install.log" 2>&1; rc=$?
check "cmake --install succeeds" test "$rc" = 0
for f in usr/bin/circuitwatch usr/lib/systemd/system/circuitwatch.service \
         usr/lib/sysusers.d/circuitwatch.conf usr/share/doc/circuitwatch/examples/circuitwatch.yaml \
         usr/share/doc/circuitwatch/README.md usr/share/doc/circuitwatch/docs/configuration.md \
         usr/share/doc/circuitwatch/examples/plans.yaml \
         usr/share/doc/circuitwatch/examples/expressroute-direct.yaml \
         usr/share/doc/circuitwatch/examples/directconnect.yaml; do
  check "installed: /$f" test -s "$WORK/stage/$f"
done
# the configuration goes to /etc only when configured with the prefix /usr
conf=$(find "$WORK/stage" -path '*/etc/circuitwatch/circuitwatch.yaml' | head -1)
check "installed: the default configuration, and it is valid" "$CW_BIN" check-config "${conf:-/nonexistent}"
check "installed: the Grafana provisioning files" \
  test -s "$WORK/stage/usr/share/circuitwatch/dashboards/grafana/provisioning/datasources/circuitwatch.yaml"
for f in circuits-overview bgp-sessions link-detail billing; do
  check "installed: dashboard $f" test -s "$WORK/stage/usr/share/circuitwatch/dashboards/grafana/dashboards/$f.json"
done
check "installed: Prometheus alerting and recording rules" \
  test -s "$WORK/stage/usr/share/circuitwatch/dashboards/prometheus/alerts.yml" -a \
       -s "$WORK/stage/usr/share/circuitwatch/dashboards/prometheus/recording.yml"

(cd "$WORK" && cpack -G DEB -B "$WORK/deb" --config "$BUILD/CPackConfig.cmake") >"$WORK/cpack.log" 2>&1; rc=$?
deb=$(ls "$WORK"/deb/circuitwatch_*.deb 2>/dev/null | head -1)
check "cpack builds a .deb" test "$rc" = 0 -a -n "$deb"
if [ -n "$deb" ]; then
  dpkg-deb -c "$deb" >"$WORK/deb.list"; dpkg-deb -f "$deb" Depends Package >"$WORK/deb.ctl"
  check "the .deb holds /usr/bin/circuitwatch" grep -q ' ./usr/bin/circuitwatch$' "$WORK/deb.list"
  check "the .deb holds the unit" grep -q ' ./usr/lib/systemd/system/circuitwatch.service$' "$WORK/deb.list"
  # the package's paths come from the configure-time prefix: /usr (the
  # default of a fresh build directory) puts the config in /etc
  prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
  if [ "$prefix" = /usr ]; then
    check "the .deb holds /etc/circuitwatch/circuitwatch.yaml" grep -q ' ./etc/circuitwatch/circuitwatch.yaml$' "$WORK/deb.list"
    check "the .deb marks the config as a conffile" \
      sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/circuitwatch/circuitwatch.yaml"
  else
    echo "note: $BUILD was configured with the prefix $prefix, not /usr: the /etc checks are skipped"
  fi
  check "the .deb depends on the shared libraries it links (libpcap, libuv, libmicrohttpd)" \
    sh -c "grep -q libpcap '$WORK/deb.ctl' && grep -q libuv1 '$WORK/deb.ctl' && grep -q libmicrohttpd '$WORK/deb.ctl'"
  check "postinst, prerm and postrm are executable shell scripts" \
    sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -tvf - | grep -E '^-rwxr-xr-x.* ./(postinst|prerm|postrm)$' | wc -l | grep -qx 3"
fi

# --- container, compose, Kubernetes --------------------------------------
WORK="$WORK" python3 - "$CW_SOURCE_DIR" <<'PY' >"$WORK/static" 2>&1
import os, re, sys, yaml
src = sys.argv[1]
fails = []
def need(cond, what):
    print(("ok   - " if cond else "FAIL - ") + what)

df = open(f"{src}/deploy/container/Dockerfile").read()
froms = re.findall(r"^FROM (\S+)", df, re.M)
need(froms[:1] == ["debian:12"] and len(froms) == 2 and froms[1].startswith("debian:12"),
     f"Dockerfile: multi-stage from Debian 12 ({froms})")
need("install-deps.sh --build" in df, "Dockerfile: the build stage installs with deploy/install-deps.sh --build")
build_stage = df.split("\nFROM ", 2)[1] if df.count("\nFROM ") >= 2 else ""
need(re.search(r"^COPY deploy/install-deps.sh ", build_stage, re.M) is not None
     and "apt-get" not in build_stage,
     "Dockerfile: the build stage copies install-deps.sh in and names no package itself")
need(re.search(r"--target circuitwatch cw_package_docs", build_stage) is not None,
     "Dockerfile: the build stage builds the man pages and completions the .deb installs")
need(re.search(r"setcap cap_net_raw,cap_net_admin\+ep /usr/bin/circuitwatch", df) is not None,
     "Dockerfile: the binary gets exactly CAP_NET_RAW and CAP_NET_ADMIN")
need(re.search(r"^USER circuitwatch$", df, re.M) is not None, "Dockerfile: runs as circuitwatch")
need(re.search(r"^EXPOSE 10179/tcp 1790/tcp$", df, re.M) is not None, "Dockerfile: exposes 10179 and 1790")

c = yaml.safe_load(open(f"{src}/deploy/compose/compose.yaml"))
s = c["services"]
need(set(s) >= {"circuitwatch", "prometheus", "grafana", "kafka"}, "compose: the four services")
cw = s["circuitwatch"]
need(cw.get("network_mode") == "host", "compose: circuitwatch on the host network")
need(sorted(cw.get("cap_add", [])) == ["NET_ADMIN", "NET_RAW"] and cw.get("cap_drop") == ["ALL"],
     "compose: circuitwatch with NET_RAW and NET_ADMIN only")
need(cw["build"]["dockerfile"] == "deploy/container/Dockerfile", "compose: builds the Dockerfile")
need(any(v.endswith(":/var/lib/circuitwatch") for v in cw["volumes"]), "compose: a state volume")
need(s["prometheus"]["image"].startswith("prom/prometheus:"), "compose: Prometheus image")
need("9090:9090" in s["prometheus"]["ports"], "compose: Prometheus on 9090")
need(s["grafana"]["image"].startswith("grafana/grafana:"), "compose: Grafana image")
need("3000:3000" in s["grafana"]["ports"], "compose: Grafana on 3000")
need(s["kafka"]["image"].startswith("apache/kafka:"), "compose: Kafka image")
need("broker,controller" in s["kafka"]["environment"]["KAFKA_PROCESS_ROLES"], "compose: Kafka in KRaft mode")
for svc in ("circuitwatch", "prometheus", "grafana"):
    for v in s[svc]["volumes"]:
        host = v.split(":")[0]
        if host.startswith("."):
            p = os.path.normpath(os.path.join(src, "deploy/compose", host))
            need(os.path.exists(p), f"compose: {svc} mounts {host}, which exists")
prom = yaml.safe_load(open(f"{src}/deploy/compose/prometheus.yml"))
need(prom["scrape_configs"][0]["static_configs"][0]["targets"] == ["host.docker.internal:10179"],
     "compose: Prometheus scrapes circuitwatch on 10179")
need(prom["rule_files"] == ["/etc/prometheus/rules/*.yml"], "compose: Prometheus loads the rules")

k = {}
for f in sorted(os.listdir(f"{src}/deploy/kubernetes")):
    for d in yaml.safe_load_all(open(f"{src}/deploy/kubernetes/{f}")):
        k[(d["kind"], d.get("metadata", {}).get("name"))] = d
kust = k[("Kustomization", None)]
need(sorted(kust["resources"]) == sorted(x for x in os.listdir(f"{src}/deploy/kubernetes") if x != "kustomization.yaml"),
     "kubernetes: the kustomization lists every manifest")
ds = k[("DaemonSet", "circuitwatch")]["spec"]["template"]["spec"]
ctr = ds["containers"][0]
need(ds.get("hostNetwork") is True, "kubernetes: host network")
caps = ctr["securityContext"]["capabilities"]
need(caps["drop"] == ["ALL"] and sorted(caps["add"]) == ["NET_ADMIN", "NET_RAW"],
     "kubernetes: NET_RAW and NET_ADMIN only")
need(ctr["securityContext"].get("readOnlyRootFilesystem") is True, "kubernetes: read-only root")
ports = {p["name"]: p["containerPort"] for p in ctr["ports"]}
need(ports == {"metrics": 10179, "bmp": 1790}, "kubernetes: ports 10179 and 1790")
mounts = {m["mountPath"] for m in ctr["volumeMounts"]}
need(mounts == {"/etc/circuitwatch", "/var/lib/circuitwatch"}, "kubernetes: config and state mounts")
need(ctr["readinessProbe"]["httpGet"]["path"] == "/-/ready" and ctr["livenessProbe"]["httpGet"]["path"] == "/-/healthy",
     "kubernetes: probes on /-/ready and /-/healthy")
cm = k[("ConfigMap", "circuitwatch")]["data"]["circuitwatch.yaml"]
open(os.environ.get("WORK", "/tmp") + "/k8s-config.yaml", "w").write(cm)
need(k[("Service", "circuitwatch")]["spec"]["ports"][0]["port"] == 10179, "kubernetes: the metrics service")
PY
cat "$WORK/static"
PASSED=$((PASSED + $(grep -c '^ok' "$WORK/static")))
FAILED=$((FAILED + $(grep -c '^FAIL' "$WORK/static")))
grep -q '^Traceback' "$WORK/static" && bad "static checks raised an exception"
check "the compose stack's config is valid" "$CW_BIN" check-config "$D/compose/circuitwatch.yaml"
check "the installed examples are valid where they are installed (plans_file next to them)" \
  "$CW_BIN" check-config "$WORK/stage/usr/share/doc/circuitwatch/examples/expressroute-direct.yaml"
check "the Kubernetes ConfigMap's config is valid" "$CW_BIN" check-config "$WORK/k8s-config.yaml"
finish
