#!/usr/bin/env bash
# Builds vedkit, its tests and its fuzz harnesses with clang's AddressSanitizer and
# UndefinedBehaviorSanitizer in build-sanitize/, then runs the whole test suite (the fuzz
# corpora included) under them. Any report fails the run. scripts/fuzz.sh fuzzes from the same
# build. Not part of CI (a cold build takes about half an hour on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --packages-only
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi
CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVEDKIT_SANITIZE=ON -DVEDKIT_FUZZ=ON >/dev/null
cmake --build build-sanitize -j"$(nproc)"
# LibTorch and libgomp keep some allocations until exit by design; their reports are
# suppressed by library, not by vedkit's frames.
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitize.supp:print_suppressions=0"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# OpenCV's gphoto2 backend, probing for a camera, leaks in libgphoto2 and libusb (whose frames
# LeakSanitizer's fast unwinder cannot name); the tests' cameras are V4L2 ones anyway.
export OPENCV_VIDEOIO_PRIORITY_GPHOTO2=0
ctest --test-dir build-sanitize --output-on-failure "$@"
