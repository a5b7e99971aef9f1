#!/usr/bin/python3
"""The PyTorch side of the encoder parity tests.

    torchvision_features.py ARCH OUT_DIR [--size H W] [--batch B]

Writes OUT_DIR/state.pt (random torchvision weights, as scripts/import_torchvision.py
writes them) and OUT_DIR/features.pt, a dict of the input ("input") and the reference outputs:
ResNet: stem (after relu, stride 2), layer1..layer4; ViT: sequence (encoder output after the
final LayerNorm, class token first, [B, 1+N, D]).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from import_torchvision import build, plain_state_dict  # noqa: E402


def resnet_features(model, x):
    stem = model.relu(model.bn1(model.conv1(x)))
    l1 = model.layer1(model.maxpool(stem))
    l2 = model.layer2(l1)
    l3 = model.layer3(l2)
    l4 = model.layer4(l3)
    return {"stem": stem, "layer1": l1, "layer2": l2, "layer3": l3, "layer4": l4}


def vit_features(model, x):
    tokens = model._process_input(x)
    cls = model.class_token.expand(x.shape[0], -1, -1)
    return {"sequence": model.encoder(torch.cat([cls, tokens], dim=1))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("arch")
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=int, nargs=2, default=[224, 224])
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    model = build(args.arch, seed=1).eval()
    if args.arch.startswith("resnet"):
        # Batch-norm as after training: affine terms away from 1/0 and running statistics
        # measured on data, which keeps activations near unit scale (random init with
        # untouched statistics grows them past 1e3 by layer4) and makes folding non-trivial.
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, torch.nn.BatchNorm2d):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.2, 0.2)
                    module.momentum = None  # cumulative average
            model.train()
            for _ in range(2):
                model(torch.randn(4, 3, *args.size))
            model.eval()
    torch.manual_seed(2)
    x = torch.randn(args.batch, 3, *args.size)
    with torch.no_grad():
        features = resnet_features(model, x) if args.arch.startswith("resnet") else vit_features(model, x)
    torch.save(plain_state_dict(model), os.path.join(args.out_dir, "state.pt"))
    # One dict holding the input too: LibTorch 1.13 cannot unpickle a one-entry dict (SETITEM).
    outputs = {"input": x, **{k: v.contiguous() for k, v in features.items()}}
    torch.save(outputs, os.path.join(args.out_dir, "features.pt"))


if __name__ == "__main__":
    main()
