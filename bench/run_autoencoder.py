#!/usr/bin/python3
"""Autoencoder speed (configs/autoencoder_fashion_mnist.yaml, 28x28): inference and training
images/s, vedkit beside the same model in PyTorch eager, in one run.

    /usr/bin/python3 bench/run_autoencoder.py [--build build] [--seconds 5]
"""
import os

from bench_run import driver_arguments, print_comparison, print_header

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = driver_arguments()
    parser.add_argument("--runs", default="infer:1,infer:128,train:128")
    args = parser.parse_args()

    config = os.path.join(HERE, "..", "configs", "autoencoder_fashion_mnist.yaml")
    print_header(["mode", "batch"], args.peak_gflops)
    for run in args.runs.split(","):
        mode, batch = run.split(":")
        common = ["--mode", mode, "--batch", batch, "--seconds", str(args.seconds)]
        # Training costs about 3x the forward pass's FLOPs; the % of peak column counts that.
        factor = 3.0 if mode == "train" else 1.0
        print_comparison([mode, batch],
                         [os.path.join(args.build, "bench", "bench-autoencoder"), "--config", config] + common,
                         ["/usr/bin/python3", os.path.join(HERE, "peers", "autoencoder_peer.py")] + common,
                         args.peak_gflops / factor, args.repeats)


if __name__ == "__main__":
    main()
