#!/usr/bin/env bash
# Benchmark: time from the end of the TLS handshake to the first byte of the answer, for
# new connections to `stackctl serve` (GET /v1/health), TLS 1.3 against TLS 1.2 in the
# same run. Before TCP_NODELAY, TLS 1.3 took ~42 ms here (the session tickets and the
# answer met Nagle's algorithm and the client's delayed ACK) against ~0.9 ms for TLS 1.2.
# Usage: Benchmarks/tls-first-byte.sh [connections]   (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
swift build -c release --product stackctl >&2
STACKCTL="$(swift build -c release --show-bin-path)/stackctl"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-tls.XXXXXX")
export STACK_HOME="$work/home"
"$STACKCTL" init >/dev/null
"$STACKCTL" serve --port 0 --json >"$work/port.json" 2>/dev/null </dev/null &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q port "$work/port.json" 2>/dev/null && break; sleep 0.05; done
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/port.json")
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
for v in 1.3 1.2; do
  for _ in $(seq 1 "$N"); do
    curl -s -o /dev/null --tlsv$v --tls-max $v --cacert "$STACK_HOME/tls/cert.pem" \
      -w "%{time_appconnect} %{time_starttransfer}\n" "https://127.0.0.1:$port/v1/health"
  done | awk '{printf "%.3f\n", ($2 - $1) * 1000}' > "$work/tls$v"
done
echo "new connections: $N each, handshake end to first byte, medians"
echo "  TLS 1.3: $(median < "$work/tls1.3") ms"
echo "  TLS 1.2 (baseline): $(median < "$work/tls1.2") ms"
