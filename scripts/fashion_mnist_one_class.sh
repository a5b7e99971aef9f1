#!/usr/bin/env bash
# One-class Fashion-MNIST anomaly detection, as the literature runs it: for each class, train
# an autoencoder on that class's training images, score all 10,000 test images with it as the
# normal class, and print the image AUROCs (by the anomaly map's maximum, by the mean squared
# error, by 1 - SSIM, by the latent distance to the 5 nearest training images and by the distance
# of the smoothed pixels to the 5 nearest training images) of each class and their means. About 5 minutes a class on 2 cores.
#   bash scripts/fashion_mnist_one_class.sh [OUT_DIR] [CLASSES...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/fashion_mnist_one_class}
shift || true
classes=("$@")
((${#classes[@]})) || classes=(0 1 2 3 4 5 6 7 8 9)
for k in "${classes[@]}"; do
  build/apps/vedkit-train --quiet --config configs/autoencoder_fashion_mnist_one_class.yaml \
    --set "data.classes=[$k]" --set "train.out_dir=$out/$k"
  build/apps/vedkit-eval --model "$out/$k/best.vdk" --fashion-mnist test --normal-classes "$k" \
    --json "$out/$k/auroc.json" >/dev/null
done
/usr/bin/python3 - "$out" "${classes[@]}" <<'PY'
import json, sys
out, classes = sys.argv[1], sys.argv[2:]
rows = [(k, json.load(open(f"{out}/{k}/auroc.json"))) for k in classes]
keys = ["image_auroc", "image_auroc_mse", "image_auroc_ssim", "image_auroc_latent_knn", "image_auroc_pixel_knn"]
print("| class | map maximum | MSE | 1 - SSIM | latent 5-NN | smoothed-pixel 5-NN |")
print("|---|---|---|---|---|---|")
for k, r in rows:
    print(f"| {k} | " + " | ".join(f"{100 * r[key]:.1f}" for key in keys) + " |")
print("| mean | " + " | ".join(f"{100 * sum(r[key] for _, r in rows) / len(rows):.1f}" for key in keys) + " |")
PY
