#!/usr/bin/python3
"""The PyTorch eager peer of bench-segment: the same ResNet-18 U-Net (decoder
256-128-64-32-16, 11 classes), the same input and timing loop.

Prints "images_per_s latency_ms gflop_per_image best_pass_ms" on one line.
"""
import argparse
import os

import torch
import torch.nn.functional as F
import torchvision

from timing import count_flops, time_passes


def conv_bn_relu(cin, cout):
    return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                               torch.nn.BatchNorm2d(cout), torch.nn.ReLU(inplace=True))


class Block(torch.nn.Module):
    def __init__(self, cin, skip, cout):
        super().__init__()
        self.conv1, self.conv2 = conv_bn_relu(cin + skip, cout), conv_bn_relu(cout, cout)

    def forward(self, x, skip=None):
        size = skip.shape[-2:] if skip is not None else (x.shape[-2] * 2, x.shape[-1] * 2)
        x = F.interpolate(x, size=size, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], 1)
        return self.conv2(self.conv1(x))


class Unet(torch.nn.Module):
    def __init__(self, classes=11, channels=(256, 128, 64, 32, 16)):
        super().__init__()
        r = torchvision.models.resnet18(weights=None)
        self.stem = torch.nn.Sequential(r.conv1, r.bn1, r.relu)
        self.pool, self.layers = r.maxpool, torch.nn.ModuleList([r.layer1, r.layer2, r.layer3, r.layer4])
        # Skips from layer3, layer2, layer1 and the stem, then one block to full size.
        skips, cin, blocks = [256, 128, 64, 64, 0], 512, []
        for skip, cout in zip(skips, channels):
            blocks.append(Block(cin, skip, cout))
            cin = cout
        self.blocks = torch.nn.ModuleList(blocks)
        self.head = torch.nn.Conv2d(channels[-1], classes, 3, padding=1)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        x = (x - self.mean) / self.std
        levels = [self.stem(x)]
        x = self.pool(levels[0])
        for layer in self.layers:
            x = layer(x)
            levels.append(x)
        x = levels[-1]
        for i, block in enumerate(self.blocks):
            skip_index = len(levels) - 2 - i
            x = block(x, levels[skip_index] if skip_index >= 0 else None)
        return self.head(x)


def quantized(model, x):
    """PyTorch's own int8: FX post-training static quantization with the oneDNN engine (per-channel
    weights, histogram-calibrated activations), calibrated on 4 random images like the timed ones."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = "onednn"
    prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(x,))
    with torch.no_grad():
        for _ in range(4):
            prepared(torch.rand(1, *x.shape[1:]).contiguous(memory_format=torch.channels_last))
    return convert_fx(prepared)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="infer", choices=["infer", "train"])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "int8"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # Debian's torch starts with one thread here

    bfloat16 = args.dtype == "bfloat16"
    if args.mode == "train":
        # As vedkit-train runs a step: forward and loss under autocast, backward, AdamW.
        model = Unet()
        x = torch.rand(args.batch, 3, args.size, args.size)
        masks = torch.randint(11, (args.batch, args.size, args.size))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def step(images):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
                loss = F.cross_entropy(model(images), masks)
            loss.backward()
            optimizer.step()

        with torch.no_grad():
            gflop = count_flops(model, model, x)
        images_per_s, ms, best_ms = time_passes(step, x, args.seconds)
        print(f"{images_per_s} {ms} {gflop} {best_ms}")
        return

    model = Unet().eval().to(memory_format=torch.channels_last)
    x = torch.rand(args.batch, 3, args.size, args.size).contiguous(memory_format=torch.channels_last)

    def run(images):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            return model(images).argmax(1)

    with torch.inference_mode():
        gflop = count_flops(model, run, x)
    if args.dtype == "int8":
        model = quantized(model, x)
    with torch.inference_mode():
        images_per_s, ms, best_ms = time_passes(run, x, args.seconds)
    print(f"{images_per_s} {ms} {gflop} {best_ms}")


if __name__ == "__main__":
    main()
