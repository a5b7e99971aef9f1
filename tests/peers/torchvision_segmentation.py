#!/usr/bin/python3
"""The PyTorch side of the segmentation model parity tests.

    torchvision_segmentation.py ARCH OUT_DIR [--size H W]... [--batch B] [--image PNG]
                                [--vedkit-export PATH]

Writes OUT_DIR/state.pt (torchvision's random weights with batch-norm statistics measured on
data, under vedkit's names as scripts/import_torchvision.py converts them; with
--vedkit-export, the model file OUT_DIR/model.vdk too) and OUT_DIR/logits.pt, a dict with, for each
size i, the input ("input_i", images in [0, 1]) and torchvision's "logits_i" for it. With --image, also
OUT_DIR/classes.pt: "classes", torchvision's argmax [H, W] for that image (RGB, ImageNet
normalisation, the image's own size), and the image itself as "image".
"""
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from import_torchvision import (build, plain_state_dict, vedkit_segmentation_names,  # noqa: E402
                                write_segmentation_model)
from torchvision_features import measure_batch_norm  # noqa: E402

MEAN = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("arch")
    parser.add_argument("out_dir")
    parser.add_argument("--size", type=int, nargs=2, action="append")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--image")
    parser.add_argument("--vedkit-export")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(os.cpu_count())

    sizes = args.size or [[64, 64]]
    model = build(args.arch, seed=1)
    measure_batch_norm(model, [(torch.rand(4, 3, *sizes[0]) - MEAN) / STD for _ in range(2)])
    state = model.state_dict()
    torch.save(plain_state_dict(vedkit_segmentation_names(args.arch, state)),
               os.path.join(args.out_dir, "state.pt"))
    if args.vedkit_export:
        write_segmentation_model(args.arch, state, os.path.join(args.out_dir, "model.vdk"),
                                 args.vedkit_export)
    torch.manual_seed(2)
    outputs = {}
    for i, size in enumerate(sizes):
        x = torch.rand(args.batch, 3, *size)
        with torch.no_grad():
            outputs[f"logits_{i}"] = model((x - MEAN) / STD)["out"].contiguous()
        outputs[f"input_{i}"] = x
    torch.save(outputs, os.path.join(args.out_dir, "logits.pt"))
    if args.image:
        image = torchvision.io.read_image(args.image, torchvision.io.ImageReadMode.RGB)
        image = image.float().div(255).unsqueeze(0)
        with torch.no_grad():
            classes = model((image - MEAN) / STD)["out"].argmax(1)[0]
        torch.save({"image": image, "classes": classes}, os.path.join(args.out_dir, "classes.pt"))


if __name__ == "__main__":
    main()
