#!/usr/bin/python3
"""Exports a bench peer's model to ONNX (opset 13) for the ONNX Runtime peer, ort/ort_peer.mjs:
the same network, random weights, batch-norm folded as ORT folds it itself.

    /usr/bin/python3 bench/peers/export_onnx.py --model unet|resnet18|vit_tiny --batch 1 \
        --size 256 --out unet_b1.onnx

Prints the model's GFLOP per image (the same hooks as the PyTorch peers).
"""
import argparse

import torch

from encoders_peer import build
from segment_peer import Unet
from timing import count_flops


class Argmax(torch.nn.Module):
    """The U-Net as the segment peers time it: logits, then the class of each pixel."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x).argmax(1)


class Tokens(torch.nn.Module):
    """An encoder as encoders_peer.py times it (a ResNet body, or a ViT's token sequence)."""

    def __init__(self, model, run):
        super().__init__()
        self.model, self.run = model, run

    def forward(self, x):
        return self.run(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="unet, or an encoders_peer.py name")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    if args.model == "unet":
        model = Argmax(Unet())
    else:
        model = Tokens(*build(args.model))
    model.eval()
    x = torch.rand(args.batch, 3, args.size, args.size)
    with torch.no_grad():
        gflop = count_flops(model, model, x)
    # With gradients on, nn.MultiheadAttention leaves its fused inference path
    # (aten::_native_multi_head_attention, which opset 13 cannot express: ViT-B/16's 12 heads
    # take it, ViT-Ti's 3 do not) for the plain products it exports.
    torch.onnx.export(model, x, args.out, opset_version=13, input_names=["images"],
                      output_names=["output"])
    print(gflop)


if __name__ == "__main__":
    main()
