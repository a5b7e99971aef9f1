#!/usr/bin/python3
"""Are a segmenter's errors in its boundaries or in its classes?

Each connected region of a ground-truth mask's foreground is an item (scene items never touch:
vedkit-scenes keeps 2 pixels between their boxes). Reads the masks vedkit-segment wrote and
prints, over the listed images:
- mIoU as predicted;
- mIoU with perfect classes: every predicted foreground pixel within 2 pixels of an item takes
  that item's class, so only the boundaries are the model's;
- mIoU with perfect boundaries: every item's true pixels take the class most of its predicted
  pixels have, so only the classes are the model's;
- each item's class as that majority vote: accuracy per class and the confusion of items.
  Regions under --min-pixels (specks and broken-off bits of an item's rim) count in the mIoU
  figures but not as items;
- item accuracy by the longest side of the item's box, in steps of 8 pixels.

    build/apps/vedkit-segment --model M --out PRED IMAGES...
    /usr/bin/python3 scripts/segmentation_items.py --masks data/scenes/masks --predicted PRED \
        --list data/scenes/val.txt [--classes data/scenes/classes.txt]
"""
import argparse
import sys

import numpy as np
from PIL import Image
from scipy import ndimage


def iou(confusion):
    true_positive = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - true_positive
    return np.where(union > 0, true_positive / np.maximum(union, 1), np.nan)


def read_mask(path):
    try:
        return np.array(Image.open(path)).astype(np.int64)
    except OSError as error:
        sys.exit(f"segmentation_items: {path}: {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--masks", required=True, help="ground-truth class-index PNGs, STEM.png")
    parser.add_argument("--predicted", required=True, help="vedkit-segment's STEM_mask.png")
    parser.add_argument("--list", required=True, help="file of stems, one per line")
    parser.add_argument("--classes", help="file of class names, one per line (background first)")
    parser.add_argument("--min-pixels", type=int, default=50,
                        help="smallest region that is an item")
    args = parser.parse_args()
    stems = [line.strip() for line in open(args.list) if line.strip()]
    names = [line.strip() for line in open(args.classes)] if args.classes else None
    count = len(names) if names else 256
    confusion = {kind: np.zeros((count, count)) for kind in
                 ("as predicted", "perfect classes", "perfect boundaries")}
    items = np.zeros((count, count))
    by_side = {}  # the longest side of an item's box, in pixels, rounded down to 8: [right, all]
    near = np.ones((5, 5), bool)
    for stem in stems:
        truth = read_mask(f"{args.masks}/{stem}.png")
        predicted = read_mask(f"{args.predicted}/{stem}_mask.png")
        if truth.shape != predicted.shape or max(truth.max(), predicted.max()) >= count:
            sys.exit(f"segmentation_items: {stem}: the masks differ in size or hold a class "
                     f"beyond the {count} named")
        true_classes = predicted.copy()
        true_boundaries = truth.copy()
        regions, region_count = ndimage.label(truth > 0, structure=np.ones((3, 3)))
        for region in range(1, region_count + 1):
            inside = regions == region
            label = np.bincount(truth[inside]).argmax()
            votes = np.bincount(predicted[inside], minlength=count)
            votes[0] = 0
            vote = votes.argmax() if votes.any() else 0
            true_boundaries[inside] = vote
            true_classes[ndimage.binary_dilation(inside, structure=near) & (predicted > 0)] = label
            if inside.sum() >= args.min_pixels:
                items[label, vote] += 1
                rows, columns = np.nonzero(inside)
                side = max(np.ptp(rows), np.ptp(columns)) + 1
                tally = by_side.setdefault(side // 8 * 8, [0, 0])
                tally[0] += vote == label
                tally[1] += 1
        for kind, guess in [("as predicted", predicted), ("perfect classes", true_classes),
                            ("perfect boundaries", true_boundaries)]:
            confusion[kind] += np.bincount((truth * count + guess).ravel(),
                                           minlength=count * count).reshape(count, count)
    present = np.flatnonzero(confusion["as predicted"].sum(1))
    names = names or [str(k) for k in range(count)]
    print(f"{len(stems)} images, {int(items.sum())} items")
    for kind, matrix in confusion.items():
        print(f"mIoU {kind}: {100 * np.nanmean(iou(matrix)[present]):.2f}")
    found = [k for k in present if k > 0]
    print("\nitems by true class (rows) and majority predicted class (columns; 0: missed)")
    print(f"{'':<12}{'acc':>7}" + "".join(f"{k:>6}" for k in [0] + found))
    for k in found:
        accuracy = 100 * items[k, k] / items[k].sum()
        print(f"{k:>2} {names[k]:<9}{accuracy:7.1f}" +
              "".join(f"{int(items[k, j]):6d}" for j in [0] + found))
    print(f"item accuracy {100 * np.trace(items) / items.sum():.2f}")
    print("\nitem accuracy by the longest side of its box (pixels)")
    for side in sorted(by_side):
        right, total = by_side[side]
        print(f"{side:>3}-{side + 7:<3} {100 * right / total:6.1f} of {total}")


if __name__ == "__main__":
    main()
