#!/usr/bin/env bash
# Installs vedkit's Debian packages (only those missing), then configures and builds it in
# build/. Safe to run again: a second run installs nothing and rebuilds only what changed.
#   setup.sh                  everything: libraries, apps, benchmarks, tests and their data
#   setup.sh --segment-only   what segmenting images needs, and only vedkit-segment
#   setup.sh --packages-only  every package, no build
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}

packages=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev libopenblas0-openmp            # LibTorch; OpenBLAS makes its GEMMs ~15x faster
  libxnnpack-dev libpthreadpool-dev           # XNNPACK's packed float32 products for inference
  libdnnl-dev                                 # oneDNN's headers: whole conv networks at inference
  libgloo-dev                                 # Gloo's headers, for c10d's distributed training
  libopencv-dev libboost-program-options-dev libyaml-cpp-dev zlib1g-dev libjpeg-dev
  nlohmann-json3-dev                          # COCO captions JSON
)
if [ "$mode" != --segment-only ]; then
  packages+=(
    libgtest-dev
    dataset-fashion-mnist opencv-doc          # real data: Fashion-MNIST IDX files, OpenCV samples
    python3-torch python3-torchvision         # the PyTorch peers of the parity tests and benches
    python3-skimage python3-nltk              # reference PSNR/SSIM and BLEU for the metric tests
    python3-sklearn                           # reference AUROC
  )
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
[ "$mode" = --packages-only ] && exit 0

tests=ON
[ "$mode" = --segment-only ] && tests=OFF
# Configure when there is no build yet, or when the tests must now be built as well.
if [ ! -f build/build.ninja ] ||
   { [ $tests = ON ] && ! grep -q '^VEDKIT_BUILD_TESTS:BOOL=ON' build/CMakeCache.txt; }; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DVEDKIT_BUILD_TESTS=$tests >/dev/null
fi
if [ "$mode" = --segment-only ]; then
  cmake --build build -j2 --target vedkit-segment
else
  cmake --build build -j2
fi
