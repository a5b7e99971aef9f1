#!/usr/bin/python3
"""The PyTorch side of the encoder parity tests.

    torchvision_features.py ARCH OUT_DIR [--size H W]... [--batch B] [--dilated]

Writes OUT_DIR/state.pt (random torchvision weights, as scripts/import_torchvision.py
writes them) and OUT_DIR/features.pt, a dict of the input ("input") and the reference outputs:
ResNet: stem (after relu, stride 2), layer1..layer4; ViT: sequence (encoder output after the
final LayerNorm, class token first, [B, 1+N, D]); MobileNetV3: features.0, features.2,
features.4, features.7 and features.16 (torchvision's segmentation stage outputs). --dilated
builds mobilenet_v3_large(dilated=True), as torchvision's segmentation models do.

--size may be repeated: the first size's tensors have the names above, each further size's
the same names with "@HxW" appended ("input@200x250", "features.16@200x250").
"""
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from import_torchvision import build, plain_state_dict  # noqa: E402


def measure_batch_norm(model, batches):
    """Batch-norm as after training: affine terms away from 1/0 and running statistics measured
    on batches, which keeps activations near unit scale (random init with untouched statistics
    grows them past 1e3 by ResNet's layer4) and makes folding non-trivial. The last batch-norm
    of each residual branch scales it down, as training leaves them: at full scale, the 33
    random blocks of a ResNet-101 amplify float32 rounding to 4e-4 of its segmentation logits
    (against float64), which would hide a real difference under a 1e-4 bound; so it is 1e-5."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.momentum = None  # cumulative average
        for module in model.modules():  # after the loop above, which visits blocks first
            if isinstance(module, torchvision.models.resnet.Bottleneck):
                module.bn3.weight.uniform_(0.1, 0.3)
            if isinstance(module, torchvision.models.resnet.BasicBlock):
                module.bn2.weight.uniform_(0.1, 0.3)
        model.train()
        for batch in batches:
            model(batch)
        model.eval()


def resnet_features(model, x):
    stem = model.relu(model.bn1(model.conv1(x)))
    l1 = model.layer1(model.maxpool(stem))
    l2 = model.layer2(l1)
    l3 = model.layer3(l2)
    l4 = model.layer4(l3)
    return {"stem": stem, "layer1": l1, "layer2": l2, "layer3": l3, "layer4": l4}


MOBILENET_LEVELS = [0, 2, 4, 7, 16]


def mobilenet_features(model, x):
    features = {}
    for index, block in enumerate(model.features):
        x = block(x)
        if index in MOBILENET_LEVELS:
            features[f"features.{index}"] = x
    return features


def features_of(arch, model, x):
    if arch.startswith("resnet"):
        return resnet_features(model, x)
    if arch.startswith("mobilenet"):
        return mobilenet_features(model, x)
    return vit_features(model, x)


def vit_features(model, x):
    tokens = model._process_input(x)
    cls = model.class_token.expand(x.shape[0], -1, -1)
    return {"sequence": model.encoder(torch.cat([cls, tokens], dim=1))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("arch")
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=int, nargs=2, action="append", metavar=("H", "W"))
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--dilated", action="store_true", help="MobileNetV3 only")
    args = parser.parse_args()
    sizes = args.size or [[224, 224]]
    os.makedirs(args.out_dir, exist_ok=True)

    options = {}
    if args.dilated:
        if not args.arch.startswith("mobilenet"):
            sys.exit("--dilated: only for mobilenet_v3_large")
        options["dilated"] = True
    model = build(args.arch, seed=1, **options).eval()
    if args.arch.startswith(("resnet", "mobilenet")):
        measure_batch_norm(model, [torch.randn(4, 3, *sizes[0]) for _ in range(2)])
    torch.manual_seed(2)
    # One dict holding the input too: LibTorch 1.13 cannot unpickle a one-entry dict (SETITEM).
    outputs = {}
    for i, size in enumerate(sizes):
        suffix = "" if i == 0 else f"@{size[0]}x{size[1]}"
        x = torch.randn(args.batch, 3, *size)
        with torch.no_grad():
            features = features_of(args.arch, model, x)
        outputs["input" + suffix] = x
        outputs.update({k + suffix: v.contiguous() for k, v in features.items()})
    torch.save(plain_state_dict(model), os.path.join(args.out_dir, "state.pt"))
    torch.save(outputs, os.path.join(args.out_dir, "features.pt"))


if __name__ == "__main__":
    main()
