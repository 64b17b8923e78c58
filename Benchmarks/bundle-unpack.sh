#!/usr/bin/env bash
# Benchmark: `stackctl bundle unpack` against `tar -xzf` on the same bundle, alternated in
# one run, for a ~200 MB and a ~20 MB bundle (half random bytes, half text).
# Prints per-tool medians of wall time and peak RSS, and the ratio ours/tar.
# Targets (issue 2): ratio <= 0.8, peak RSS <= 64 MiB at both sizes.
# Usage: Benchmarks/bundle-unpack.sh [runs]   (default 5 runs per tool and size)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }

swift build -c release --product stackctl >&2
STACKCTL="$(swift build -c release --show-bin-path)/stackctl"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-unpack.XXXXXX")
trap 'rm -rf "$work"' EXIT

make_tree() { # DIR MEGABYTES
  local dir=$1 mb=$2 half=$(( $2 / 2 ))
  mkdir -p "$dir/random" "$dir/text"
  cp examples/hello-web/stack.yaml examples/hello-web/compose.yaml "$dir/"
  local files=$(( half / 2 )); [ "$files" -lt 1 ] && files=1
  for i in $(seq 1 "$files"); do head -c $(( half * 1048576 / files )) /dev/urandom > "$dir/random/r$i.bin"; done
  python3 - "$dir/text" "$half" "$files" <<'PY'
import random, sys, os
out, mb, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = [w.strip() for w in open('/usr/share/dict/words')] if os.path.exists('/usr/share/dict/words') else \
  ("stack bundle signature verify archive container network volume compose service image port "
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

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

bench() { # LABEL MEGABYTES
  local label=$1 mb=$2
  make_tree "$work/src-$label" "$mb"
  "$STACKCTL" bundle create "$work/src-$label" -o "$work/$label.stack" >/dev/null
  local size; size=$(stat -c %s "$work/$label.stack")
  : > "$work/ours-$label"; : > "$work/tar-$label"
  sync
  for i in $(seq 1 "$RUNS"); do
    rm -rf "$work/o" "$work/t"; mkdir "$work/t"
    measure "$work/ours-$label" "$STACKCTL" bundle unpack "$work/$label.stack" -o "$work/o"
    measure "$work/tar-$label" tar -xzf "$work/$label.stack" -C "$work/t"
  done
  diff -r "$work/o" "$work/t" >/dev/null || { echo "outputs differ!" >&2; exit 1; }
  local ours_t tar_t ours_m tar_m
  ours_t=$(cut -d' ' -f1 "$work/ours-$label" | median); tar_t=$(cut -d' ' -f1 "$work/tar-$label" | median)
  ours_m=$(cut -d' ' -f2 "$work/ours-$label" | sort -n | tail -1); tar_m=$(cut -d' ' -f2 "$work/tar-$label" | sort -n | tail -1)
  awk -v l="$label" -v s="$size" -v ot="$ours_t" -v om="$ours_m" -v tt="$tar_t" -v tm="$tar_m" 'BEGIN {
    printf "%-6s bundle %6.1f MB | stackctl unpack %6.3f s, peak RSS %5.1f MiB | tar -xzf %6.3f s, peak RSS %5.1f MiB | ratio %.2f (target <= 0.80)\n",
      l, s / 1e6, ot, om / 1024, tt, tm / 1024, ot / tt }'
  rm -rf "$work/src-$label" "$work/o" "$work/t"
}

echo "runs per tool: $RUNS (alternated); times are medians, RSS the maximum seen"
bench 200MB 200
bench 20MB 20
