#!/usr/bin/python3
"""Converts a torchvision model's weights into a file vedkit loads.

    /usr/bin/python3 scripts/import_torchvision.py --arch resnet18 --weights resnet18.pth --out r18.pt
    /usr/bin/python3 scripts/import_torchvision.py --arch vit_b_16 --random --out vit.pt
    /usr/bin/python3 scripts/import_torchvision.py --arch lraspp_mobilenet_v3_large \
        --weights lraspp_mobilenet_v3_large-d234d4ea.pth --out voc_lraspp.vdk

A segmentation model (fcn_*, deeplabv3_*, lraspp_*) becomes a complete vedkit model file:
its weights without the auxiliary head, in the architecture configs/torchvision/ARCH.yaml
describes (Pascal VOC's 21 class names, ImageNet normalisation), written by vedkit-export.

An encoder's output is a plain dict of tensors saved with torch.save (LibTorch's pickle_load reads a
dict, not an OrderedDict). Point an encoder at it with `model.encoder.weights: FILE`.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import torch
import torchvision

# mobilenet_v3_large: the same tensors serve the encoder with and without `dilated: true`.
ARCHS = ["resnet18", "resnet34", "resnet50", "mobilenet_v3_large", "vit_b_16", "vit_b_32",
         "vit_l_16"]


SEGMENTATION_ARCHS = ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101",
                      "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def build(arch, seed=0, **options):
    """torchvision's `arch` with random weights; options go to its builder (dilated=True)."""
    torch.manual_seed(seed)
    if arch in SEGMENTATION_ARCHS:
        return getattr(torchvision.models.segmentation, arch)(
            weights=None, weights_backbone=None, aux_loss=False, **options)
    return getattr(torchvision.models, arch)(weights=None, **options)


def vedkit_segmentation_names(arch, state):
    """torchvision's segmentation tensor names as vedkit's: backbone -> encoder (a MobileNetV3's
    blocks under features), classifier -> decoder; the auxiliary head is dropped."""
    renamed = {}
    for name, tensor in state.items():
        if name.startswith("aux_classifier."):
            continue
        if name.startswith("backbone."):
            name = ("encoder.features." if "mobilenet" in arch else "encoder.") + name[len("backbone."):]
        elif name.startswith("classifier."):
            name = "decoder." + name[len("classifier."):]
        renamed[name] = tensor
    return renamed


def find_vedkit_export(given):
    if given:
        return given
    built = os.path.join(ROOT, "build", "apps", "vedkit-export")
    if os.path.exists(built):
        return built
    found = shutil.which("vedkit-export")
    if not found:
        sys.exit("vedkit-export not found: build vedkit (bash scripts/setup.sh) or pass --vedkit-export PATH")
    return found


def write_segmentation_model(arch, state, out, vedkit_export):
    """Writes state (torchvision's names) as a vedkit model file through vedkit-export."""
    config = os.path.join(ROOT, "configs", "torchvision", arch + ".yaml")
    with tempfile.TemporaryDirectory() as folder:
        state_path = os.path.join(folder, "state.pt")
        torch.save(plain_state_dict(vedkit_segmentation_names(arch, state)), state_path)
        command = [vedkit_export, "--config", config, "--state-dict", state_path, "--out", out]
        if subprocess.run(command, check=False).returncode != 0:
            sys.exit("vedkit-export failed: " + " ".join(command))


def plain_state_dict(model_or_state):
    state = model_or_state.state_dict() if hasattr(model_or_state, "state_dict") else model_or_state
    return {name: tensor.detach().contiguous() for name, tensor in state.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", required=True, choices=ARCHS + SEGMENTATION_ARCHS)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", help="a .pth state dict saved by PyTorch/torchvision")
    source.add_argument("--random", action="store_true", help="torchvision's random init")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--vedkit-export", help="the vedkit-export to write model files with "
                        "(default: build/apps/vedkit-export, else the one on PATH)")
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
        unexpected = [name for name in unexpected if not name.startswith("aux_classifier.")]
        if unexpected:
            print(f"ignoring {len(unexpected)} extra tensors: {unexpected[:3]}", file=sys.stderr)
    if args.arch in SEGMENTATION_ARCHS:
        write_segmentation_model(args.arch, model.state_dict(), args.out,
                                 find_vedkit_export(args.vedkit_export))
        return
    torch.save(plain_state_dict(model), args.out)
    print(f"wrote {args.out}: {args.arch}, {len(model.state_dict())} tensors")


if __name__ == "__main__":
    main()
