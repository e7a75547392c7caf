#!/usr/bin/env bash
# Runs a local tidald on 127.0.0.1:5300 and [::1]:5300 serving zones/*.zone (make run / make stop).
#
#   scripts/run-local.sh BUILD_DIR   write run/tidal.yaml, import the zones, start tidald
#   scripts/run-local.sh --stop      stop the tidald this script started (by its pid file)
#
# Everything lives in run/ at the repository root (gitignored): the configuration, a fresh SQLite
# database built from zones/ on each start, the control socket, tidald's log and pid.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run_dir="$repo/run"
config="$run_dir/tidal.yaml"
log="$run_dir/tidald.log"
pid_file="$run_dir/tidald.pid"
port=5300
start_timeout=10        # seconds for tidald to answer
stop_timeout_tenths=100 # 10 s for it to exit after SIGTERM

die() {
    echo "run-local: $*" >&2
    exit 1
}

# The pid in run/tidald.pid when that process is still a tidald; empty otherwise (a stale file,
# or a pid the system has since given to another program).
our_tidald_pid() {
    [[ -f "$pid_file" ]] || return 0
    local pid
    pid=$(tr -cd '0-9' <"$pid_file")
    [[ -n "$pid" ]] || return 0
    if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "tidald"; then
        echo "$pid"
    fi
}

# Stops the tidald recorded in run/tidald.pid, if any: SIGTERM, then SIGKILL after the timeout.
stop_ours() {
    local pid
    pid=$(our_tidald_pid)
    if [[ -z "$pid" ]]; then
        rm -f "$pid_file"
        return 1
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < stop_timeout_tenths; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "run-local: tidald (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pid_file"
    echo "stopped tidald (pid $pid)"
}

show_log_tail() {
    if [[ -s "$log" ]]; then
        echo "--- last lines of $log ---" >&2
        tail -n 30 "$log" >&2
    else
        echo "($log is empty)" >&2
    fi
}

if [[ "${1:-}" == "--stop" ]]; then
    stop_ours || echo "no tidald started by make run is running"
    exit 0
fi

[[ $# -eq 1 ]] || die "usage: $0 BUILD_DIR | --stop"
build=$(cd "$1" 2>/dev/null && pwd) || die "build directory '$1' not found (run make build)"
tidald="$build/server/tidald"
tidalctl="$build/tools/tidalctl"
[[ -x "$tidald" ]] || die "$tidald not found (run make build)"
[[ -x "$tidalctl" ]] || die "$tidalctl not found (run make build)"
command -v dig >/dev/null || die "dig not found (make deps installs bind9-dnsutils)"

shopt -s nullglob
zone_files=("$repo"/zones/*.zone)
shopt -u nullglob
((${#zone_files[@]} > 0)) || die "no zone files in $repo/zones"

# A zone file is named after its zone: zones/example.test.zone holds example.test.
zone_names=()
for file in "${zone_files[@]}"; do
    name=$(basename "$file" .zone)
    zone_names+=("${name%.}.")
done
probe_zone=example.test
[[ -f "$repo/zones/example.test.zone" ]] || probe_zone=${zone_names[0]%.}

stop_ours >/dev/null || true
mkdir -p "$run_dir"
# A fresh database each start: zones/ is the source of truth for the local server.
rm -f "$run_dir/tidal.db" "$run_dir/tidal.db-wal" "$run_dir/tidal.db-shm" "$run_dir/control.sock"

{
    echo "# Written by scripts/run-local.sh (make run); rewritten on every start."
    echo "database: $run_dir/tidal.db"
    echo "control: $run_dir/control.sock"
    echo "log:"
    echo "  level: info"
    echo "  target: stderr"
    echo "server:"
    echo "  listen: [\"127.0.0.1:$port\", \"[::1]:$port\"]"
    echo "  workers: 2"
    echo "zones:"
    for name in "${zone_names[@]}"; do
        echo "  - name: $name"
        echo "    role: primary"
        echo "    allow-transfer: [127.0.0.0/8, ::1/128]"
    done
} >"$config"

for file in "${zone_files[@]}"; do
    if ! output=$("$tidalctl" --config "$config" zone import "$file" 2>&1); then
        echo "$output" >&2
        die "importing $file failed"
    fi
done
echo "imported ${#zone_files[@]} zones from zones/ into run/tidal.db"

# setsid: tidald gets its own session, so a Ctrl-C here or closing the terminal leaves it alone.
setsid "$tidald" --config "$config" </dev/null >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pid_file"

ready=false
deadline=$((SECONDS + start_timeout))
while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pid_file"
        echo "run-local: tidald exited during startup" >&2
        show_log_tail
        exit 1
    fi
    # dig prints its own failures (";; connection timed out") on stdout: wait for a real SOA.
    if dig @127.0.0.1 -p "$port" +short +time=1 +tries=1 SOA "$probe_zone" 2>/dev/null |
        grep -Eq '^[^;].* [0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9]+$' && kill -0 "$pid" 2>/dev/null; then
        ready=true
        break
    fi
    sleep 0.1
done
if ! $ready; then
    echo "run-local: tidald (pid $pid) did not answer SOA $probe_zone within $start_timeout s" >&2
    show_log_tail
    stop_ours >/dev/null || true
    exit 1
fi

cat <<EOF
tidald is running (pid $pid) on 127.0.0.1:$port and [::1]:$port with ${#zone_names[@]} zones.

  dig @127.0.0.1 -p $port www.$probe_zone
  dig @::1 -p $port +tcp SOA $probe_zone
  dig @127.0.0.1 -p $port +short MX $probe_zone
  $tidalctl --config $config zone list

log:    $log
config: $config
stop:   make stop
EOF
