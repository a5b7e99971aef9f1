#!/usr/bin/env bash
# Fuzzes the readers of user files with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer, from the build scripts/sanitize.sh makes: each harness for
# SECONDS (default 600), as many at once as there are cores. Inputs that reach new code are
# merged into tests/fuzz/corpus/NAME, which ctest replays; a crash leaves its input in
# build-sanitize/fuzz/ and fails the run.
#   scripts/fuzz.sh [SECONDS [NAME...]]   names: config model_file vocabulary idx captions image
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift $(($# > 0 ? 1 : 0))
names=("$@")
((${#names[@]})) || names=(config model_file vocabulary idx captions image)
[ -f build-sanitize/build.ninja ] || bash scripts/sanitize.sh -R fuzz_
cmake --build build-sanitize -j"$(nproc)" --target "${names[@]/#/fuzz_}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitize.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OPENCV_VIDEOIO_PRIORITY_GPHOTO2=0
mkdir -p build-sanitize/fuzz

fuzz() {
  local name=$1 found=build-sanitize/fuzz/$1-new
  rm -rf "$found" && mkdir -p "$found"
  local status=0
  build-sanitize/tests/fuzz/fuzz_"$name" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=build-sanitize/fuzz/"$name"- "$found" tests/fuzz/corpus/"$name" \
    >build-sanitize/fuzz/"$name".log 2>&1 || status=$?
  build-sanitize/tests/fuzz/fuzz_"$name" -merge=1 tests/fuzz/corpus/"$name" "$found" \
    >>build-sanitize/fuzz/"$name".log 2>&1
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' build-sanitize/fuzz/"$name".log | tail -1)
  echo "$name: ${runs#stat::number_of_executed_units: } runs in ${seconds} s, exit $status," \
    "corpus $(ls tests/fuzz/corpus/"$name" | wc -l) files (log: build-sanitize/fuzz/$name.log)"
  return "$status"
}

failed=0
running=0
for name in "${names[@]}"; do
  fuzz "$name" &
  if ((++running >= $(nproc))); then
    wait -n || failed=1
    ((running--))
  fi
done
while ((running > 0)); do
  wait -n || failed=1
  ((running--))
done
exit "$failed"
