#!/usr/bin/env bash
# Benchmark: `stackctl bundle unpack` (which verifies the SHA-256, the minisign signature
# and the trusted comment before extracting, then streams through the entry policy and
# the scan) against two baselines measured in the same run, alternated:
#   tar      : tar -xzf F                                  (extraction alone, no checks)
#   3 tools  : sha256sum F; minisign -Vm F -p K; tar -xzf F (the same checks by hand)
# for a ~200 MB and a ~20 MB bundle (half random bytes, half text).
# Prints medians of wall time, the maximum peak RSS, and the ratios.
# Targets: ours/tar <= 0.8 (issue 2), ours/3 tools <= 0.7 (issue 3), peak RSS <= 64 MiB at
# both sizes (memory must not grow with size).
# Usage: Benchmarks/bundle-unpack.sh [runs]   (default 5 runs per tool and size)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
command -v minisign >/dev/null || { echo "needs minisign" >&2; exit 1; }

swift build -c release --product stackctl >&2
STACKCTL="$(swift build -c release --show-bin-path)/stackctl"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-unpack.XXXXXX")
trap 'rm -rf "$work"' EXIT
export STACK_HOME="$work/home"
"$STACKCTL" init >/dev/null
"$STACKCTL" keys generate -o "$work/publisher" >/dev/null
"$STACKCTL" keys trust "$work/publisher.pub" >/dev/null

make_tree() { # DIR MEGABYTES
  local dir=$1 mb=$2 half=$(( $2 / 2 ))
  mkdir -p "$dir/random" "$dir/text"
  cp examples/hello-web/stack.yaml examples/hello-web/compose.yaml "$dir/"
  cp -r examples/hello-web/www "$dir/"
  local files=$(( half / 2 )); [ "$files" -lt 1 ] && files=1
  for i in $(seq 1 "$files"); do head -c $(( half * 1048576 / files )) /dev/urandom > "$dir/random/r$i.bin"; done
  python3 - "$dir/text" "$half" "$files" <<'PY'
import random, sys
out, mb, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = ("stack bundle signature verify archive container network volume compose service image port "
         "healthcheck memory cpu limit policy publisher catalog trusted digest manifest version").split()
rng = random.Random(42)
per = mb * 1048576 // files
for i in range(files):
    with open(f"{out}/t{i}.txt", "w") as f:
        n = 0
        while n < per:
            line = " ".join(rng.choice(words) for _ in range(12)) + f" {rng.randrange(10**6)}\n"
            f.write(line); n += len(line)
PY
}

# Appends "<wall seconds> <peak RSS KiB>" of one run of a command to FILE.
measure() { # FILE COMMAND...
  local out=$1; shift
  local start=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$work/m" "$@" >/dev/null
  local end=$EPOCHREALTIME
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }') $(cat "$work/m")" >> "$out"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
maxrss() { cut -d' ' -f2 "$1" | sort -n | tail -1; }

three_tools() { # BUNDLE DIR
  sha256sum "$1" >/dev/null && minisign -Vm "$1" -p "$work/publisher.pub" >/dev/null && tar -xzf "$1" -C "$2"
}
export -f three_tools 2>/dev/null || true

bench() { # LABEL MEGABYTES
  local label=$1 mb=$2 b="$work/$1.stack"
  make_tree "$work/src-$label" "$mb"
  "$STACKCTL" bundle create "$work/src-$label" -o "$b" >/dev/null
  "$STACKCTL" bundle sign "$b" --key "$work/publisher.key" >/dev/null
  local size; size=$(stat -c %s "$b")
  : > "$work/ours"; : > "$work/tar"; : > "$work/three"
  sync
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$work/o" "$work/t" "$work/h"; mkdir "$work/t" "$work/h"
    measure "$work/ours" "$STACKCTL" bundle unpack "$b" -o "$work/o"
    measure "$work/tar" tar -xzf "$b" -C "$work/t"
    measure "$work/three" bash -c "sha256sum '$b' && minisign -Vm '$b' -p '$work/publisher.pub' && tar -xzf '$b' -C '$work/h'"
  done
  diff -r "$work/o" "$work/t" >/dev/null || { echo "outputs differ!" >&2; exit 1; }
  local ot tt ht
  ot=$(cut -d' ' -f1 "$work/ours" | median); tt=$(cut -d' ' -f1 "$work/tar" | median); ht=$(cut -d' ' -f1 "$work/three" | median)
  awk -v l="$label" -v s="$size" -v ot="$ot" -v om="$(maxrss "$work/ours")" -v tt="$tt" -v tm="$(maxrss "$work/tar")" \
      -v ht="$ht" -v hm="$(maxrss "$work/three")" 'BEGIN {
    printf "%-6s bundle %6.1f MB compressed\n", l, s / 1e6
    printf "  stackctl bundle unpack (verify+unpack) %7.3f s   peak RSS %5.1f MiB\n", ot, om / 1024
    printf "  tar -xzf                               %7.3f s   peak RSS %5.1f MiB   ratio ours/tar     %.2f (target <= 0.80)\n", tt, tm / 1024, ot / tt
    printf "  sha256sum + minisign -V + tar -xzf     %7.3f s   peak RSS %5.1f MiB   ratio ours/3 tools %.2f (target <= 0.70)\n", ht, hm / 1024, ot / ht }'
  rm -rf "$work/src-$label" "$work/o" "$work/t" "$work/h"
}

echo "runs per tool: $RUNS (alternated); times are medians, RSS the maximum seen"
bench 200MB 200
bench 20MB 20
