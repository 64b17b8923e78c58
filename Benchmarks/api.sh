#!/usr/bin/env bash
# Benchmark: `stackctl serve` (TLS, token check, GET /v1/stacks) against nginx serving a
# small static file over TLS on the same machine, with wrk (keep-alive, 32 connections),
# in the same run. Also the server's RSS idle and after >= 100,000 requests.
# Targets (issue 5): >= 0.5x nginx's requests/s, p99 <= 20 ms, zero errors; idle RSS
# <= 30 MiB and not more than 20% higher after 100,000 requests.
# Needs: wrk and nginx (Debian: apt-get install -y wrk nginx-light). Loopback only.
# Usage: Benchmarks/api.sh [seconds]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-20}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install -y wrk nginx-light)" >&2; exit 1; }
swift build -c release --product stackctl >&2
STACKCTL="$(swift build -c release --show-bin-path)/stackctl"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-api.XXXXXX")
export STACK_HOME="$work/home"
serve_pid=""; nginx_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.5; rm -rf "$work"
}
trap cleanup EXIT
"$STACKCTL" init >/dev/null
PORT=47181; NGINX_PORT=47182

# nginx with the same certificate and a small static file.
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www"   # nginx workers run as www-data
echo '{"stacks":[]}' > "$work/www/stacks.json"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $STACK_HOME/tls/cert.pem;
    ssl_certificate_key $STACK_HOME/tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
    keepalive_requests 1000000;
  }
}
CONF
nginx -c "$work/nginx/nginx.conf"

"$STACKCTL" serve --port "$PORT" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 1 50); do curl -sk "https://127.0.0.1:$PORT/v1/health" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$serve_pid/status"; }
# Private memory (USS): what the server itself holds, without the shared library pages RSS counts.
uss() { awk '/^Private_(Clean|Dirty)/ {kb += $2} END {printf "%.1f", kb/1024}' "/proc/$serve_pid/smaps_rollup"; }
anon() { awk '/^Anonymous/ {printf "%.1f", $2/1024}' "/proc/$serve_pid/smaps_rollup"; }
idle=$(rss); idle_uss=$(uss); idle_anon=$(anon)
TOKEN=$("$STACKCTL" token mint --scope stacks:read)

run_wrk() { # URL [header]
  if [ -n "${2:-}" ]; then wrk -t2 -c32 -d"${DURATION}s" --latency -H "$2" "$1"; else wrk -t2 -c32 -d"${DURATION}s" --latency "$1"; fi
}
echo "== nginx (static file over TLS)"
run_wrk "https://127.0.0.1:$NGINX_PORT/stacks.json" | tee "$work/nginx.txt" | grep -E "Requests/sec|99%|requests in|Non-2xx|Socket errors" || true
echo "== stackctl serve (GET /v1/stacks with a bearer token)"
run_wrk "https://127.0.0.1:$PORT/v1/stacks" "Authorization: Bearer $TOKEN" | tee "$work/ours.txt" | grep -E "Requests/sec|99%|requests in|Non-2xx|Socket errors" || true
after=$(rss); after_uss=$(uss); after_anon=$(anon)

ours_rps=$(awk '/Requests\/sec/ {print $2}' "$work/ours.txt")
nginx_rps=$(awk '/Requests\/sec/ {print $2}' "$work/nginx.txt")
ours_total=$(awk '/requests in/ {print $1}' "$work/ours.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/ours.txt")
errors=$(grep -E "Non-2xx|Socket errors" "$work/ours.txt" || echo "none")
echo
echo "stackctl serve: $ours_rps req/s, p99 $p99, $ours_total requests, errors: $errors"
echo "nginx:          $nginx_rps req/s"
awk -v o="$ours_rps" -v n="$nginx_rps" 'BEGIN { printf "ratio: %.2f of nginx (target >= 0.50)\n", o / n }'
awk -v i="$idle" -v a="$after" -v t="$ours_total" 'BEGIN { printf "serve RSS: idle %.1f MiB (target <= 30), after %d requests %.1f MiB (+%.0f%%, target <= +20%%)\n", i, t, a, (a - i) * 100 / i }'
echo "serve private memory (USS): idle $idle_uss MiB, after $after_uss MiB; anonymous: idle $idle_anon MiB, after $after_anon MiB"
