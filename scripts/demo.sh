#!/usr/bin/env bash
# The README's first command: set up, build, and segment the bundled sample scenes with the
# bundled model. Masks, overlays and one JSON line per image land in segment_out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --segment-only
build/apps/vedkit-segment --model models/segmentation_scenes_resnet18.vdk --out segment_out \
  datasets/samples/images
echo "overlays: $(pwd)/segment_out/*_overlay.png"
