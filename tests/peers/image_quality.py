#!/usr/bin/python3
"""The scikit-image side of the PSNR/SSIM tests.

    image_quality.py OUT.pt

Makes pairs of image batches (grey and colour, [0, 1] and [0, 255] ranges, natural-looking
structure plus noise), scores every image with skimage.metrics, and saves a dict of the
inputs and the reference scores.
"""
import sys

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def make_pair(rng, batch, channels, height, width, data_range):
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    base = np.stack([np.sin(6 * xx + c) * np.cos(4 * yy - c) for c in range(channels)])
    a = np.clip(0.5 + 0.4 * base[None] + 0.05 * rng.standard_normal((batch, channels, height, width)), 0, 1)
    b = np.clip(a + 0.1 * rng.standard_normal(a.shape) * rng.uniform(0.2, 1.5, (batch, 1, 1, 1)), 0, 1)
    return a * data_range, b * data_range


def scores(a, b, data_range):
    psnr, ssim = [], []
    for x, y in zip(a, b):
        psnr.append(peak_signal_noise_ratio(x, y, data_range=data_range))
        ssim.append(structural_similarity(x, y, data_range=data_range, channel_axis=0,
                                          gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False))
    return torch.tensor(psnr), torch.tensor(ssim)


def main():
    rng = np.random.default_rng(3)
    out = {}
    for name, (channels, height, width, data_range) in {
        "grey": (1, 28, 28, 1.0), "colour": (3, 40, 33, 255.0)}.items():
        a, b = make_pair(rng, 3, channels, height, width, data_range)
        psnr, ssim = scores(a, b, data_range)
        out[name + "_a"] = torch.from_numpy(a).float()
        out[name + "_b"] = torch.from_numpy(b).float()
        out[name + "_psnr"] = psnr.float()
        out[name + "_ssim"] = ssim.float()
    torch.save(out, sys.argv[1])


if __name__ == "__main__":
    main()
