#!/usr/bin/python3
"""A Fashion-MNIST autoencoder's test SSIM under two definitions, from vedkit-reconstruct's output:
the issue's (Gaussian window 11, sigma 1.5: what vedkit-eval reports) and scikit-image's default
(a 7x7 uniform window), which many published autoencoder figures use without saying so.

    /usr/bin/python3 scripts/ssim_windows.py --model models/autoencoder_fashion_mnist.vdk

Writes the split's images as PNGs to a temporary folder, reconstructs them with
vedkit-reconstruct (a PNG per image: the input above its reconstruction, enlarged with nearest
neighbours), and prints mean PSNR and both SSIMs.
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read_images(split):
    name = {"test": "t10k", "train": "train"}[split]
    with gzip.open(os.path.join(FASHION_MNIST, f"{name}-images-idx3-ubyte.gz")) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--split", default="test", choices=["test", "train"])
    args = parser.parse_args()

    images = read_images(args.split)
    with tempfile.TemporaryDirectory() as work:
        inputs, outputs = os.path.join(work, "in"), os.path.join(work, "out")
        os.makedirs(inputs)
        for i, image in enumerate(images):
            Image.fromarray(image).save(os.path.join(inputs, f"{i:05d}.png"))
        subprocess.run([os.path.join(args.build, "apps", "vedkit-reconstruct"), "--model",
                        args.model, "--out", outputs, "--input", inputs], check=True)
        psnr, gaussian, uniform = [], [], []
        for i, image in enumerate(images):
            grid = np.asarray(Image.open(os.path.join(outputs, f"{i:05d}_reconstruction.png")))
            scale = grid.shape[0] // (2 * image.shape[0])
            if grid.shape != (2 * 28 * scale, 28 * scale):
                sys.exit(f"{i:05d}_reconstruction.png: expected a grayscale input above its "
                         f"reconstruction, got shape {grid.shape}")
            original = image / 255.0
            rebuilt = grid[grid.shape[0] // 2:][::scale, ::scale] / 255.0
            psnr.append(peak_signal_noise_ratio(original, rebuilt, data_range=1.0))
            gaussian.append(structural_similarity(original, rebuilt, gaussian_weights=True,
                                                  sigma=1.5, use_sample_covariance=False,
                                                  data_range=1.0))
            uniform.append(structural_similarity(original, rebuilt, data_range=1.0))
    print(f"{len(images)} {args.split} images: PSNR {np.mean(psnr):.2f} dB, "
          f"SSIM (Gaussian 11, sigma 1.5) {np.mean(gaussian):.4f}, "
          f"SSIM (scikit-image default, 7x7 uniform) {np.mean(uniform):.4f}")


if __name__ == "__main__":
    main()
