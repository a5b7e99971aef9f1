#!/usr/bin/python3
"""Converts a torchvision ResNet or ViT state dict into a file vedkit's encoders load.

    /usr/bin/python3 scripts/import_torchvision.py --arch resnet18 --weights resnet18.pth --out r18.pt
    /usr/bin/python3 scripts/import_torchvision.py --arch vit_b_16 --random --out vit.pt

The output is a plain dict of tensors saved with torch.save (LibTorch's pickle_load reads a
dict, not an OrderedDict). Point an encoder at it with `model.encoder.weights: FILE`.
"""
import argparse
import sys

import torch
import torchvision

ARCHS = ["resnet18", "resnet34", "resnet50", "vit_b_16", "vit_b_32", "vit_l_16"]


def build(arch, seed=0):
    torch.manual_seed(seed)
    return getattr(torchvision.models, arch)(weights=None)


def plain_state_dict(model_or_state):
    state = model_or_state.state_dict() if hasattr(model_or_state, "state_dict") else model_or_state
    return {name: tensor.detach().contiguous() for name, tensor in state.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", required=True, choices=ARCHS)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", help="a .pth state dict saved by PyTorch/torchvision")
    source.add_argument("--random", action="store_true", help="torchvision's random init")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    model = build(args.arch, args.seed)
    if args.weights:
        try:
            state = torch.load(args.weights, map_location="cpu")
        except Exception as error:  # noqa: BLE001 - report any unreadable file the same way
            sys.exit(f"{args.weights}: cannot read a PyTorch state dict ({error})")
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing:
            sys.exit(f"{args.weights}: not a {args.arch} state dict; missing {missing[:3]}")
        if unexpected:
            print(f"ignoring {len(unexpected)} extra tensors: {unexpected[:3]}", file=sys.stderr)
    torch.save(plain_state_dict(model), args.out)
    print(f"wrote {args.out}: {args.arch}, {len(model.state_dict())} tensors")


if __name__ == "__main__":
    main()
