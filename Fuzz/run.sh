#!/usr/bin/env bash
# Builds the libFuzzer harnesses (-sanitize=fuzzer,address) and runs each for a given time.
# Usage: Fuzz/run.sh [seconds-per-harness] [harness...]   (default 60 s; archive manifest)
# Crashes are written to Fuzz/work/<harness>/crash-*; the corpus grows in Fuzz/work/<harness>/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
HARNESSES=("$@")
[ "${#HARNESSES[@]}" -eq 0 ] && HARNESSES=(archive manifest)

CORE=$(find Sources/StackCore -name '*.swift' | sort)
BUNDLE=$(find Sources/StackBundle -name '*.swift' | sort)
mkdir -p Fuzz/work
status=0
# StackCore as its own module (instrumented too: the entry policy lives there), built once
# for every harness.
core=Fuzz/work/core
mkdir -p "$core"
echo "== building StackCore (instrumented)" >&2
# shellcheck disable=SC2086
swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name StackDesktop -module-name StackCore \
  -wmo -emit-module -emit-module-path "$core/StackCore.swiftmodule" -emit-object -o "$core/StackCore.o" $CORE
for h in "${HARNESSES[@]}"; do
  case $h in
    archive) harness=Fuzz/ArchiveFuzzer.swift ;;
    manifest) harness=Fuzz/ManifestFuzzer.swift ;;
    *) echo "unknown harness $h" >&2; exit 2 ;;
  esac
  bin=Fuzz/work/$h-fuzzer
  echo "== building $h" >&2
  # StackBundle's sources and the harness as one module that links StackCore (built once).
  # shellcheck disable=SC2086
  swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name StackDesktop -module-name StackFuzz \
    -use-ld=lld -I "$core" -I Sources/CArchive -I Sources/CYAML -larchive -lyaml \
    $BUNDLE "$harness" "$core/StackCore.o" -o "$bin"
  mkdir -p "Fuzz/work/$h/corpus"
  cp -n Fuzz/corpus/"$h"/* "Fuzz/work/$h/corpus/" 2>/dev/null || true
  [ "$h" = manifest ] && cp -n Fuzz/corpus/compose/* "Fuzz/work/$h/corpus/" 2>/dev/null || true
  echo "== fuzzing $h for ${SECONDS_EACH}s" >&2
  log=Fuzz/work/$h.log
  if ! "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="Fuzz/work/$h/" -print_final_stats=1 "Fuzz/work/$h/corpus" >"$log" 2>&1; then
    echo "!! $h: the fuzzer stopped on a failure; see $log and Fuzz/work/$h/crash-*" >&2
    status=1
  fi
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  secs=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  crashes=$(find "Fuzz/work/$h" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'oom-*' -o -maxdepth 1 -name 'timeout-*' | wc -l)
  corpus=$(find "Fuzz/work/$h/corpus" -type f | wc -l)
  echo "$h: ${execs:-?} executions in ${SECONDS_EACH}s, ${secs:-?} exec/s, corpus $corpus files, $crashes crash/leak/oom/timeout artifacts"
done
exit $status
