#!/usr/bin/env bash
# Benchmark: `stackctl run --yes` of a small signed bundle (verify, unpack, scan, render,
# compose up) against `docker-compose up -d` of the same compose file, alternated in one
# run; each is torn down (untimed) before the next. Prints medians and our overhead.
# Target (issue 4): overhead above compose <= 150 ms.
# Then `stackctl stop` of a service whose PID 1 ignores SIGTERM (busybox httpd): without an
# init process (`init: false`, what every bundle that did not ask for one got before) and
# with the default init process (`init:` left out), alternated.
# Usage: Benchmarks/run-overhead.sh [runs]   (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
swift build -c release --product stackctl >&2
STACKCTL="$(swift build -c release --show-bin-path)/stackctl"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-run.XXXXXX")
export STACK_HOME="$work/home"
cleanup() {
  "$STACKCTL" rm --purge hello-web >/dev/null 2>&1 || true
  docker-compose -p bench-baseline -f "$work/baseline/compose.yaml" down --timeout 1 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$STACKCTL" init >/dev/null
"$STACKCTL" keys generate -o "$work/publisher" >/dev/null
"$STACKCTL" keys trust "$work/publisher.pub" >/dev/null
"$STACKCTL" bundle create examples/hello-web -o "$work/hello-web.stack" >/dev/null
"$STACKCTL" bundle sign "$work/hello-web.stack" --key "$work/publisher.key" >/dev/null
# The baseline runs the bundle's own compose file as is (no hardening), from a copy.
cp -r examples/hello-web "$work/baseline"

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
: > "$work/ours"; : > "$work/compose"
for i in $(seq 1 "$RUNS"); do
  t0=$EPOCHREALTIME
  "$STACKCTL" run --yes "$work/hello-web.stack" >/dev/null
  t1=$EPOCHREALTIME
  ms "$t0" "$t1" >> "$work/ours"; echo >> "$work/ours"
  "$STACKCTL" rm --purge hello-web >/dev/null
  t0=$EPOCHREALTIME
  docker-compose -p bench-baseline -f "$work/baseline/compose.yaml" up -d >/dev/null 2>&1
  t1=$EPOCHREALTIME
  ms "$t0" "$t1" >> "$work/compose"; echo >> "$work/compose"
  docker-compose -p bench-baseline -f "$work/baseline/compose.yaml" down --timeout 1 >/dev/null 2>&1
done
ours=$(grep . "$work/ours" | median); base=$(grep . "$work/compose" | median)
echo "runs: $RUNS (alternated), medians"
echo "  stackctl run --yes (verify+unpack+scan+render+compose up): $ours ms"
echo "  docker-compose up -d (same compose file, unhardened):      $base ms"
awk -v o="$ours" -v b="$base" 'BEGIN { printf "  overhead: %.1f ms (target <= 150 ms)\n", o - b }'

# Stop time: the same stack without and with an init process.
for variant in noinit default; do
  mkdir -p "$work/$variant"
  cp -r examples/hello-web/. "$work/$variant/"
  if [ "$variant" = noinit ]; then
    sed -i 's/^    init: true$/    init: false/' "$work/$variant/compose.yaml"
  else
    sed -i '/^    init: true$/d' "$work/$variant/compose.yaml"
  fi
  "$STACKCTL" bundle create --force "$work/$variant" -o "$work/$variant.stack" >/dev/null 2>&1
  "$STACKCTL" bundle sign "$work/$variant.stack" --key "$work/publisher.key" >/dev/null
  : > "$work/stop-$variant"
done
STOP_RUNS=${STOP_RUNS:-3}
for i in $(seq 1 "$STOP_RUNS"); do
  for variant in noinit default; do
    "$STACKCTL" run --yes "$work/$variant.stack" >/dev/null
    t0=$EPOCHREALTIME
    "$STACKCTL" stop hello-web >/dev/null
    t1=$EPOCHREALTIME
    ms "$t0" "$t1" >> "$work/stop-$variant"; echo >> "$work/stop-$variant"
    "$STACKCTL" rm --purge hello-web >/dev/null
  done
done
echo "stackctl stop, $STOP_RUNS runs each (alternated), medians"
echo "  without an init process (init: false, the old default): $(grep . "$work/stop-noinit" | median) ms"
echo "  with the default init process:                          $(grep . "$work/stop-default" | median) ms"
