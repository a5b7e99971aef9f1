#!/usr/bin/env bash
# Installs vedkit from build/ into build/prefix, builds examples/ against that installed copy
# (find_package(vedkit)) in build/examples, and runs both programs on the bundled models.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$PWD/build/prefix
rm -rf "$prefix"
cmake --install build --prefix "$prefix" >/dev/null
cmake -S examples -B build/examples -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build build/examples -j2
models=$prefix/share/vedkit/models
build/examples/segment_image "$models/segmentation_scenes_resnet18.vdk" \
  datasets/samples/images/000000.png build/examples/000000_mask.png
build/examples/caption_video "$models/captioning_scenes_resnet18.vdk" \
  /usr/share/doc/opencv-doc/examples/data/vtest.avi 100 300
