#!/usr/bin/env bash
# Builds and tests the model code (core, vision) against the LibTorch inside a PyTorch 2.x
# install, without OpenCV: the setup of a GPU machine (see ../shared/NOTES.md).
#   bash scripts/build_with_pytorch.sh [BUILD_DIR]     (VEDKIT_PYTHON picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(command -v "${VEDKIT_PYTHON:-python3}")
prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
build=${1:-build-pytorch}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVEDKIT_WITH_OPENCV=OFF \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$build" -j"$(nproc)"
# The wheel's libtorch.so exports its own copies of std::filesystem functions; with 2.11 its
# remove_all jumped to address 0. Preloading the system libstdc++ makes its copies win.
cd "$build" && LD_PRELOAD="$(g++ -print-file-name=libstdc++.so.6)" VEDKIT_PYTHON="$python" \
  ctest --output-on-failure
