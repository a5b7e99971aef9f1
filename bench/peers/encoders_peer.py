#!/usr/bin/python3
"""The PyTorch eager peer of bench-encoders: the same encoder, input and timing loop.

Prints "images_per_s latency_ms gflop_per_image" on one line.
"""
import argparse
import os
import time

import torch
import torchvision


def build(name):
    if name.startswith("resnet"):
        model = getattr(torchvision.models, name)(weights=None)
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


def count_flops(model, run, x):
    """Multiply-adds x2 of convolutions, linear layers and attention, by forward hooks."""
    total = [0]

    def conv(module, inputs, output):
        total[0] += 2 * output.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]

    def linear(module, inputs, output):
        total[0] += 2 * output.numel() * module.in_features

    def attention(module, inputs, output):
        batch, tokens, width = inputs[0].shape
        total[0] += 2 * batch * tokens * width * 4 * width + 4 * batch * tokens * tokens * width

    hooks = []
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            hooks.append(module.register_forward_hook(conv))
        elif isinstance(module, torch.nn.MultiheadAttention):
            hooks.append(module.register_forward_hook(attention))
        elif isinstance(module, torch.nn.Linear) and not isinstance(
                module, torch.nn.modules.linear.NonDynamicallyQuantizableLinear):
            hooks.append(module.register_forward_hook(linear))
    run(x)
    for hook in hooks:
        hook.remove()
    return total[0] / x.shape[0] / 1e9


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
        for _ in range(3):
            run(x)
        passes, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds or passes < 5:
            run(x)
            passes += 1
        elapsed = time.perf_counter() - start
    print(f"{passes * args.batch / elapsed} {1000 * elapsed / passes} {gflop}")


if __name__ == "__main__":
    main()
