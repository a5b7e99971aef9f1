#!/usr/bin/python3
"""The PyTorch eager peer of bench-autoencoder: the model of
configs/autoencoder_fashion_mnist.yaml (ResNet-18 of width 32 on 1 channel, 28x28 padded to
32, a 64-number latent decoded from a 4x4 grid by blocks of 128-64-32), the same input and
timing loop.

    autoencoder_peer.py --mode infer|train --batch B

Prints "images_per_s latency_ms gflop_per_image" on one line (GFLOP of the forward pass;
training does about three times as much).
"""
import argparse
import os

import torch
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock

from timing import count_flops, time_passes


def conv_bn_relu(cin, cout):
    return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                               torch.nn.BatchNorm2d(cout), torch.nn.ReLU(inplace=True))


def stage(cin, cout, stride):
    down = None
    if stride != 1 or cin != cout:
        down = torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 1, stride, bias=False), torch.nn.BatchNorm2d(cout))
    return torch.nn.Sequential(BasicBlock(cin, cout, stride, down), BasicBlock(cout, cout))


class Autoencoder(torch.nn.Module):
    def __init__(self, width=32, latent=64, channels=(128, 64, 32), start=4):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(1, width, 7, 2, 3, bias=False),
                                        torch.nn.BatchNorm2d(width), torch.nn.ReLU(inplace=True),
                                        torch.nn.MaxPool2d(3, 2, 1))
        widths = [width, 2 * width, 4 * width, 8 * width]
        self.layers = torch.nn.Sequential(stage(width, widths[0], 1), stage(widths[0], widths[1], 2),
                                          stage(widths[1], widths[2], 2), stage(widths[2], widths[3], 2))
        self.to_latent = torch.nn.Linear(widths[3], latent)
        self.start = start
        self.from_latent = torch.nn.Linear(latent, widths[3] * start * start)
        blocks, cin = [], widths[3]
        for cout in channels:
            blocks.append(torch.nn.Sequential(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout)))
            cin = cout
        self.blocks = torch.nn.ModuleList(blocks)
        self.head = torch.nn.Conv2d(cin, 1, 3, padding=1)

    def forward(self, x):
        x = F.pad((x - 0.286) / 0.353, (0, 4, 0, 4), mode="replicate")  # 28 -> 32
        z = self.to_latent(self.layers(self.stem(x)).flatten(1))
        y = F.relu(self.from_latent(z)).view(x.shape[0], -1, self.start, self.start)
        for block in self.blocks:
            y = block(F.interpolate(y, scale_factor=2, mode="nearest"))
        return torch.sigmoid(self.head(y))[:, :, :28, :28]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="infer", choices=["infer", "train"])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # Debian's torch starts with one thread here

    model = Autoencoder()
    x = torch.rand(args.batch, 1, 28, 28)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def train(images):
        optimizer.zero_grad()
        F.mse_loss(model(images), images).backward()
        optimizer.step()

    with torch.no_grad():
        gflop = count_flops(model.eval(), model, x)
    if args.mode == "train":
        model.train()
        images_per_s, ms, best_ms = time_passes(train, x, args.seconds)
    else:
        with torch.inference_mode():
            images_per_s, ms, best_ms = time_passes(model, x, args.seconds)
    print(f"{images_per_s} {ms} {gflop} {best_ms}")


if __name__ == "__main__":
    main()
