#!/usr/bin/python3
"""How well can anything tell a scene item's class from what a scene shows of it?

vedkit-scenes paints each Fashion-MNIST item in one flat colour, with the item's intensity over
its peak, times 1.3 and capped at 1, as alpha (datasets/scenes/scene.cpp). Everything brighter
than 77% of the peak becomes one flat colour, so most of the inner detail (collars, buttons,
seams) is gone; what is left is the silhouette and the darker pixels. This trains the same small
CNN twice on the 60,000 training items, once on the original grey images and once on that alpha
(the most a scene can reveal: the scene adds a background and noise on top), scores both on the
10,000 t10k items, and turns the alpha classifier's confusion into the per-class IoU a perfect
segmenter that labels each item with that classifier would reach on the scenes' pixels.

    /usr/bin/python3 scripts/scene_item_ceiling.py [--epochs 6] [--threads 2]
"""
import argparse
import gzip
import time

import numpy as np
import torch
from torch import nn

FASHION = "/usr/share/datasets/fashion-mnist"
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "ankle boot"]
ALPHA_GAIN = 1.3  # kAlphaGain in datasets/scenes/scene.cpp
MASK_ALPHA = 0.35  # kMaskAlpha in datasets/scenes/scene.h


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(f"{FASHION}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255
    labels = read_idx(f"{FASHION}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(images), torch.from_numpy(labels)


def scene_alpha(images):
    peak = images.amax(dim=(1, 2), keepdim=True).clamp_min(1e-6)
    return (ALPHA_GAIN * images / peak).clamp(max=1)


def classifier():
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64),
                         *block(64, 64), nn.MaxPool2d(2), *block(64, 128), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Dropout(0.2), nn.Linear(128, 10))


def shifted_and_flipped(batch, shift):
    """Random shifts of up to `shift` pixels and horizontal flips, as Fashion-MNIST classifiers
    train; one shift per batch."""
    size = batch.shape[-1]
    padded = nn.functional.pad(batch, (shift,) * 4)
    dx, dy = np.random.randint(0, 2 * shift + 1, 2)
    batch = padded[:, :, dy:dy + size, dx:dx + size]
    flip = torch.rand(batch.shape[0]) < 0.5
    batch[flip] = batch[flip].flip(-1)
    return batch


def fit(model, train_x, train_y, augment, epochs):
    """AdamW with a one-cycle schedule, batches of 128, label smoothing; train_x is [N, C, H, W]."""
    batches = len(train_x) // 128
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=epochs * batches)
    for epoch in range(epochs):
        start = time.time()
        model.train()
        order = torch.randperm(len(train_x))
        for i in range(batches):
            index = order[i * 128:(i + 1) * 128]
            loss = nn.functional.cross_entropy(model(augment(train_x[index])), train_y[index],
                                               label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"  epoch {epoch + 1}: loss {loss.item():.3f} ({time.time() - start:.0f} s)",
              flush=True)


def predict(model, test_x):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(test_x[i:i + 1000]).argmax(1) for i in range(0, len(test_x), 1000)])


def train_and_test(train_x, train_y, test_x, test_y, epochs):
    torch.manual_seed(0)
    np.random.seed(0)
    model = classifier()
    fit(model, train_x[:, None], train_y, lambda batch: shifted_and_flipped(batch, 2), epochs)
    predicted = predict(model, test_x[:, None])
    confusion = torch.zeros(10, 10, dtype=torch.float64)
    confusion.index_put_((test_y, predicted), torch.ones(len(test_y), dtype=torch.float64),
                         accumulate=True)
    return confusion


def pixel_iou(confusion, areas):
    # Each item's mask pixels all go to its predicted class: confusion weighted by mask area.
    pixels = confusion * areas[:, None]
    true_positive = pixels.diag()
    return true_positive / (pixels.sum(0) + pixels.sum(1) - true_positive)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train_x, train_y = load("train")
    test_x, test_y = load("test")
    test_alpha = scene_alpha(test_x)
    mask_pixels = (test_alpha > MASK_ALPHA).double().sum(dim=(1, 2))
    areas = torch.stack([mask_pixels[test_y == c].mean() for c in range(10)])
    results = {}
    for name, transform in [("grey", lambda x: x), ("scene alpha", scene_alpha)]:
        print(f"{name} items:", flush=True)
        results[name] = train_and_test(transform(train_x), train_y, transform(test_x), test_y,
                                       args.epochs)
    print(f"\n{'class':<11} " + " ".join(f"{n + ' acc':>16} {n + ' IoU':>16}" for n in results))
    per_class = {n: (c.diag() / c.sum(1), pixel_iou(c, areas)) for n, c in results.items()}
    for k, label in enumerate(CLASSES):
        print(f"{label:<11} " + " ".join(f"{100 * acc[k]:16.2f} {100 * iou[k]:16.2f}"
                                         for acc, iou in per_class.values()))
    for name, confusion in results.items():
        accuracy = confusion.diag().sum() / confusion.sum()
        iou = per_class[name][1]
        # Background is counted perfect, as it is near 99.4 for every model trained so far.
        ceiling = (iou.sum() + 1) / 11
        print(f"{name}: accuracy {100 * accuracy:.2f}; 11-class mIoU with a perfect background "
              f"and perfect boundaries {100 * ceiling:.2f}")


if __name__ == "__main__":
    main()
