#!/usr/bin/python3
"""Can the bundled segmenter's encoder tell scene items apart, as a plain classifier?

Trains a ResNet-18 of the bundled segmenter's width (24; stem 7x7 stride 2 and max-pool, so
stride 4 as in the U-Net; --stem-stride 2 drops the max-pool) with global average pooling and a
linear classifier, on the 60,000 Fashion-MNIST training items at one scene scale (--side: 40
pixels, in a canvas 8 pixels wider), and scores it on the 10,000 t10k items. Scene items'
longest sides run from 15 to 58 pixels. --items alpha: the alpha vedkit-scenes paints with, on
black. --items rendered: that alpha blends a random colour over a random background of coarse
colour blobs, at least 90 luminance levels from the item, with pixel noise of 1.5-4 levels,
like datasets/scenes (whose backgrounds are richer).

    /usr/bin/python3 scripts/scene_item_encoder.py --items alpha|rendered [--side 40] \
        [--stem-stride 4] [--epochs 6]
"""
import argparse
import numpy as np
import torch
from torch import nn

import scene_item_ceiling as ceiling

MARGIN = 4
MIN_CONTRAST = 90  # kMinContrast in datasets/scenes/scene.cpp


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.down is None else self.down(x)))


def resnet18_classifier(in_channels, stem_stride, width=24):
    layers = [nn.Conv2d(in_channels, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    if stem_stride == 4:
        layers.append(nn.MaxPool2d(3, 2, 1))
    channels = width
    for level, out in enumerate([width, 2 * width, 4 * width, 8 * width]):
        layers += [BasicBlock(channels, out, 1 if level == 0 else 2), BasicBlock(out, out, 1)]
        channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10))


def at_scene_scale(images, side):
    alpha = ceiling.scene_alpha(images)[:, None]
    alpha = nn.functional.interpolate(alpha, size=side, mode="bilinear", align_corners=False)
    return nn.functional.pad(alpha, (MARGIN,) * 4)


def luminance(rgb):
    return 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]


def rendered(alpha, generator):
    count, canvas = len(alpha), alpha.shape[-1]

    def uniform(*shape):
        return torch.rand(*shape, generator=generator)

    blobs = (uniform(count, 3, 4, 4) * 120 - 60) * (uniform(count, 1, 1, 1) < 0.6)
    background = (uniform(count, 3, 1, 1) * 255 + nn.functional.interpolate(
        blobs, size=canvas, mode="bilinear", align_corners=False)).clamp(0, 255)
    under = luminance(background.mean((2, 3), keepdim=True)).flatten()
    colour = uniform(count, 3, 1, 1) * 255
    for _ in range(32):
        redraw = (luminance(colour).flatten() - under).abs() < MIN_CONTRAST
        if not redraw.any():
            break
        colour[redraw] = uniform(int(redraw.sum()), 3, 1, 1) * 255
    noise = torch.randn(count, 3, canvas, canvas, generator=generator) * (
        1.5 + 2.5 * uniform(count, 1, 1, 1))
    image = (background * (1 - alpha) + colour * alpha + noise).clamp(0, 255)
    return (image / 255 - 0.5) / 0.25


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--items", choices=["alpha", "rendered"], required=True)
    parser.add_argument("--side", type=int, default=40, help="items' side in pixels")
    parser.add_argument("--stem-stride", type=int, choices=[2, 4], default=4,
                        help="4: torchvision's stem, as vedkit's ResNet; 2: without its max-pool")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(1)
    train_x, train_y = ceiling.load("train")
    test_x, test_y = ceiling.load("test")
    train_x, test_x = at_scene_scale(train_x, args.side), at_scene_scale(test_x, args.side)
    if args.items == "rendered":
        train_x, test_x = rendered(train_x, generator), rendered(test_x, generator)
    torch.manual_seed(0)
    np.random.seed(0)
    model = resnet18_classifier(train_x.shape[1], args.stem_stride)
    ceiling.fit(model, train_x, train_y, lambda batch: ceiling.shifted_and_flipped(batch, 4),
                args.epochs)
    predicted = ceiling.predict(model, test_x)
    accuracy = 100 * (predicted == test_y).double().mean()
    print(f"{args.items} items at {args.side} px, stem stride {args.stem_stride}: "
          f"accuracy {accuracy:.2f}")
    for k, name in enumerate(ceiling.CLASSES):
        print(f"  {name:<11} {100 * (predicted[test_y == k] == k).double().mean():6.2f}")


if __name__ == "__main__":
    main()
