#!/usr/bin/python3
"""Encoder inference speed, vedkit beside torchvision (PyTorch eager), in one run.

    /usr/bin/python3 bench/run_encoders.py [--build build] [--seconds 5]

Prints a markdown table for bench/README.md: images/s, latency, peak memory, the ratio to
the peer and the fraction of the CPU's FP32 peak.
"""
import os

from bench_run import driver_arguments, ort_peer_command, print_comparison, print_header

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = driver_arguments()
    parser.add_argument("--encoders", default="resnet18,resnet34,resnet50,vit_tiny,vit_b_16")
    parser.add_argument("--batches", default="1,8")
    args = parser.parse_args()

    print_header(["encoder", "batch"], args.peak_gflops, peers=("PyTorch", "ONNX Runtime"))
    for encoder in args.encoders.split(","):
        for batch in args.batches.split(","):
            common = ["--encoder", encoder, "--batch", batch, "--seconds", str(args.seconds)]
            print_comparison([encoder, batch],
                             [os.path.join(args.build, "bench", "bench-encoders")] + common,
                             [["/usr/bin/python3", os.path.join(HERE, "peers", "encoders_peer.py")] + common,
                              ort_peer_command(encoder, batch, 224, args.seconds)],
                             args.peak_gflops, args.repeats)


if __name__ == "__main__":
    main()
