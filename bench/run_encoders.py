#!/usr/bin/python3
"""Encoder inference speed, vedkit beside torchvision (PyTorch eager), in one run.

    /usr/bin/python3 bench/run_encoders.py [--build build] [--seconds 5]

Prints a markdown table for bench/README.md: images/s, latency, peak memory, the ratio to
the peer and the fraction of the CPU's FP32 peak.
"""
import argparse
import os

from bench_run import default_peak_gflops, print_comparison, print_header

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternated")
    parser.add_argument("--encoders", default="resnet18,resnet34,resnet50,vit_tiny,vit_b_16")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--peak-gflops", type=float, default=default_peak_gflops())
    args = parser.parse_args()

    print_header(["encoder", "batch"], args.peak_gflops)
    for encoder in args.encoders.split(","):
        for batch in args.batches.split(","):
            common = ["--encoder", encoder, "--batch", batch, "--seconds", str(args.seconds)]
            print_comparison([encoder, batch],
                             [os.path.join(args.build, "bench", "bench-encoders")] + common,
                             ["/usr/bin/python3", os.path.join(HERE, "peers", "encoders_peer.py")] + common,
                             args.peak_gflops, args.repeats)


if __name__ == "__main__":
    main()
