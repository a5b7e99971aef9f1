#!/usr/bin/env bash
# Installs vedkit's Debian packages (only those missing), then configures and builds it in
# build/ (not with --packages-only). Safe to run again: a second run installs nothing and
# rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev libopenblas0-openmp            # LibTorch; OpenBLAS makes its GEMMs ~15x faster
  libxnnpack-dev libpthreadpool-dev           # XNNPACK's packed float32 products for inference
  libdnnl-dev                                 # oneDNN's headers: whole conv networks at inference
  libopencv-dev libboost-program-options-dev libyaml-cpp-dev libgtest-dev zlib1g-dev libjpeg-dev
  dataset-fashion-mnist opencv-doc            # real data: Fashion-MNIST IDX files, OpenCV samples
  python3-torch python3-torchvision           # the PyTorch peers of the parity tests and benches
  python3-skimage python3-nltk                # reference PSNR/SSIM and BLEU for the metric tests
  nlohmann-json3-dev                          # COCO captions JSON
)
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
[ "${1:-}" = "--packages-only" ] && exit 0

[ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2
