#!/usr/bin/env bash
# A local Tidal cluster on loopback (make run / make stop): one primary and two secondaries,
# each a "host" with its own configuration, SQLite database, tidald and tidal-sync.
#
#   scripts/run-local.sh BUILD_DIR   write run/*/tidal.yaml, import zones/ on the primary, start
#   scripts/run-local.sh --stop      stop every process this script started (by its pid files)
#
#   host        DNS address            role
#   primary     127.0.0.1:5300 [::1]   primary of every zone in zones/, NOTIFYs both secondaries
#   secondary1  127.0.0.1:5301         secondary of every zone, transfers from the primary
#   secondary2  127.0.0.1:5302         secondary of every zone, transfers from the primary
#
# Transfers and NOTIFYs are signed with a TSIG key made afresh on each start. Everything lives
# in run/ at the repository root (gitignored); the primary's database is rebuilt from zones/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run_dir="$repo/run"
hosts=(primary secondary1 secondary2)
declare -A port=([primary]=5300 [secondary1]=5301 [secondary2]=5302)
start_timeout=20 # seconds for every host to serve the primary's zones

die() {
    echo "run-local: $*" >&2
    exit 1
}

# Stops every process recorded in run/*/*.pid that is still a tidald or tidal-sync.
stop_ours() {
    local stopped=0 file pid i
    shopt -s nullglob
    for file in "$run_dir"/*/*.pid "$run_dir"/tidald.pid; do
        [[ -f "$file" ]] || continue
        pid=$(tr -cd '0-9' <"$file")
        if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] &&
            tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq "tidald|tidal-sync"; then
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 100; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
            stopped=$((stopped + 1))
        fi
        rm -f "$file"
    done
    shopt -u nullglob
    ((stopped > 0)) && echo "stopped $stopped processes of the local cluster"
    return 0
}

if [[ "${1:-}" == "--stop" ]]; then
    stop_ours
    exit 0
fi

[[ $# -eq 1 ]] || die "usage: $0 BUILD_DIR | --stop"
build=$(cd "$1" 2>/dev/null && pwd) || die "build directory '$1' not found (run make build)"
tidald="$build/server/tidald"
tidalctl="$build/tools/tidalctl"
tidal_sync="$build/zone-sync/tidal-sync"
for binary in "$tidald" "$tidalctl" "$tidal_sync"; do
    [[ -x "$binary" ]] || die "$binary not found (run make build)"
done
command -v dig >/dev/null || die "dig not found (make deps installs bind9-dnsutils)"

shopt -s nullglob
zone_files=("$repo"/zones/*.zone)
shopt -u nullglob
((${#zone_files[@]} > 0)) || die "no zone files in $repo/zones"
zone_names=()
for file in "${zone_files[@]}"; do
    name=$(basename "$file" .zone) # zones/example.test.zone holds example.test.
    zone_names+=("${name%.}.")
done

stop_ours
rm -rf "${run_dir:?}"/primary "$run_dir"/secondary1 "$run_dir"/secondary2 "$run_dir"/tidal.*
secret=$(head -c 32 /dev/urandom | base64)

write_config() { # host
    local host=$1 dir="$run_dir/$1"
    mkdir -p "$dir"
    {
        echo "# Written by scripts/run-local.sh (make run); rewritten on every start."
        echo "database: $dir/tidal.db"
        echo "control: $dir/control.sock"
        echo "log: {level: info, target: stderr}"
        echo "server:"
        if [[ $host == primary ]]; then
            echo "  listen: [\"127.0.0.1:${port[$host]}\", \"[::1]:${port[$host]}\"]"
        else
            echo "  listen: [\"127.0.0.1:${port[$host]}\"]"
        fi
        echo "  workers: 1"
        echo "keys:"
        echo "  - { name: cluster, algorithm: hmac-sha256, secret: \"$secret\" }"
        echo "remotes:"
        echo "  - { id: primary, address: \"127.0.0.1:${port[primary]}\", key: cluster }"
        echo "  - { id: secondary1, address: \"127.0.0.1:${port[secondary1]}\", key: cluster }"
        echo "  - { id: secondary2, address: \"127.0.0.1:${port[secondary2]}\", key: cluster }"
        echo "zones:"
        for name in "${zone_names[@]}"; do
            if [[ $host == primary ]]; then
                echo "  - { name: $name, role: primary, notify: [secondary1, secondary2]," \
                    "allow-transfer: [cluster, 127.0.0.0/8, ::1/128] }"
            else
                echo "  - { name: $name, role: secondary, primaries: [primary]," \
                    "allow-transfer: [127.0.0.0/8, ::1/128], max-staleness: 1h," \
                    "stale-policy: refuse }"
            fi
        done
    } >"$dir/tidal.yaml"
}

for host in "${hosts[@]}"; do
    write_config "$host"
done
for file in "${zone_files[@]}"; do
    if ! output=$("$tidalctl" --config "$run_dir/primary/tidal.yaml" zone import "$file" 2>&1); then
        echo "$output" >&2
        die "importing $file failed"
    fi
done
echo "imported ${#zone_files[@]} zones from zones/ on the primary"

# setsid: the daemons get their own session, so Ctrl-C here or closing the terminal leaves them.
for host in "${hosts[@]}"; do
    dir="$run_dir/$host"
    setsid "$tidald" --config "$dir/tidal.yaml" </dev/null >"$dir/tidald.log" 2>&1 &
    echo $! >"$dir/tidald.pid"
    setsid "$tidal_sync" --config "$dir/tidal.yaml" </dev/null >"$dir/tidal-sync.log" 2>&1 &
    echo $! >"$dir/tidal-sync.pid"
done

serial_of() { # port zone -> the SOA serial served, or nothing
    dig @127.0.0.1 -p "$1" +short +norec +time=1 +tries=1 SOA "$2" 2>/dev/null |
        awk 'NF == 7 && $3 ~ /^[0-9]+$/ { print $3 }'
}

probe_zone=example.test.
want=""
deadline=$((SECONDS + start_timeout))
while ((SECONDS < deadline)); do
    want=$(serial_of "${port[primary]}" "$probe_zone")
    all=true
    for host in "${hosts[@]}"; do
        for pid_file in "$run_dir/$host"/*.pid; do
            kill -0 "$(cat "$pid_file")" 2>/dev/null || {
                echo "run-local: $(basename "$pid_file" .pid) on $host exited" >&2
                tail -n 20 "${pid_file%.pid}.log" >&2
                exit 1
            }
        done
        [[ -n "$want" && "$(serial_of "${port[$host]}" "$probe_zone")" == "$want" ]] || all=false
    done
    $all && break
    sleep 0.2
done
$all || die "the cluster did not converge on $probe_zone within $start_timeout s (logs in run/*/)"

cat <<TXT
Tidal cluster running: ${#zone_names[@]} zones on the primary, transferred to two secondaries.

  primary     dig @127.0.0.1 -p ${port[primary]} www.example.test      (also [::1]:${port[primary]})
  secondary1  dig @127.0.0.1 -p ${port[secondary1]} www.example.test
  secondary2  dig @127.0.0.1 -p ${port[secondary2]} www.example.test

Edit on the primary and watch it reach the secondaries (NOTIFY, then IXFR):

  $build/tools/tidalctl --config run/primary/tidal.yaml record add new.example.test. 300 A 192.0.2.99
  $build/tools/tidalctl --config run/primary/tidal.yaml wait example.test     # both secondaries have it
  dig @127.0.0.1 -p ${port[secondary1]} new.example.test +short

Replication state (serials, lag, staleness, journal):

  $build/tools/tidalctl --config run/primary/tidal.yaml status
  $build/tools/tidalctl --config run/secondary1/tidal.yaml status

Logs: run/<host>/tidald.log and run/<host>/tidal-sync.log. Stop everything: make stop
TXT
