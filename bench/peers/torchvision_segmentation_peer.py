#!/usr/bin/python3
"""The PyTorch eager peer of bench-torchvision-segmentation: torchvision's own segmentation
model (random weights, no auxiliary head, eval, channels-last), the same input in [0, 1]
normalised with ImageNet's mean and std as vedkit's model does, one forward pass to the
logits [B, 21, S, S] per timed pass, under inference_mode.

Prints "images_per_s latency_ms gflop_per_image best_pass_ms" on one line. --profile N prints
torch's profiler table of N passes on stderr instead of timing.
"""
import argparse
import os
import sys

import torch
import torchvision

from timing import count_flops, time_passes

ARCHS = ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101",
         "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", required=True, choices=ARCHS)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=520)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--warmup", type=int, default=3, help="untimed passes first")
    parser.add_argument("--min-passes", type=int, default=5, help="timed passes at least")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--profile", type=int, default=0, help="passes to profile (0: time)")
    args = parser.parse_args()
    if args.warmup < 0 or args.min_passes < 1:
        parser.error(f"--warmup 0 or more and --min-passes 1 or more, got {args.warmup} and "
                     f"{args.min_passes}")
    torch.set_num_threads(args.threads)  # Debian's torch starts with one thread here

    torch.manual_seed(0)
    model = getattr(torchvision.models.segmentation, args.arch)(
        weights=None, weights_backbone=None, aux_loss=False).eval()
    model = model.to(memory_format=torch.channels_last)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = torch.rand(args.batch, 3, args.size, args.size)
    x = x.contiguous(memory_format=torch.channels_last)
    bfloat16 = args.precision == "bfloat16"

    def run(images):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            return model((images - mean) / std)["out"]  # [B, 21, S, S]

    with torch.inference_mode():
        if args.profile:
            for _ in range(2):
                run(x)
            with torch.profiler.profile() as profile:
                for _ in range(args.profile):
                    run(x)
            print(profile.key_averages().table(sort_by="self_cpu_time_total", row_limit=25),
                  file=sys.stderr)
            return
        gflop = count_flops(model, run, x)  # a pass, the first of the warm-up
        images_per_s, ms, best_ms = time_passes(run, x, args.seconds, max(args.warmup - 1, 0),
                                                args.min_passes)
    print(f"{images_per_s} {ms} {gflop} {best_ms}")


if __name__ == "__main__":
    main()
