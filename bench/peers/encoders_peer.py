#!/usr/bin/python3
"""The PyTorch eager peer of bench-encoders: the same encoder, input and timing loop.

Prints "images_per_s latency_ms gflop_per_image best_pass_ms" on one line.
"""
import argparse
import os

import torch
import torchvision

from timing import count_flops, time_passes


def build(name):
    if name.startswith("resnet"):
        model = getattr(torchvision.models, name.removesuffix("_stem2"))(weights=None)
        if name.endswith("_stem2"):
            model.maxpool = torch.nn.Identity()
        body = torch.nn.Sequential(*list(model.children())[:-2])  # no avgpool / fc
        return body, body
    if name == "vit_tiny":
        model = torchvision.models.VisionTransformer(224, 16, 12, 3, 192, 768)
    else:
        model = torchvision.models.vit_b_16(weights=None)

    def tokens(x):
        seq = model._process_input(x)
        cls = model.class_token.expand(x.shape[0], -1, -1)
        return model.encoder(torch.cat([cls, seq], dim=1))

    return model, tokens


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", default="resnet18")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # Debian's torch starts with one thread here too

    model, run = build(args.encoder)
    model.eval()
    x = torch.randn(args.batch, 3, args.size, args.size)
    channels_last = args.encoder.startswith("resnet")
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        gflop = count_flops(model, run, x)
        images_per_s, ms, best_ms = time_passes(run, x, args.seconds)
    print(f"{images_per_s} {ms} {gflop} {best_ms}")


if __name__ == "__main__":
    main()
