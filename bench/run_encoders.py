#!/usr/bin/python3
"""Encoder inference speed, vedkit beside torchvision (PyTorch eager), in one run.

    /usr/bin/python3 bench/run_encoders.py [--build build] [--seconds 5]

Prints a markdown table for bench/README.md: images/s, latency, peak memory, the ratio to
the peer and the fraction of the CPU's FP32 peak.
"""
import argparse
import os

from bench_run import cpu_name, default_peak_gflops, run_measured

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--encoders", default="resnet18,resnet34,resnet50,vit_tiny,vit_b_16")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--peak-gflops", type=float, default=default_peak_gflops())
    args = parser.parse_args()

    print(f"CPU: {cpu_name()}, {os.cpu_count()} threads; FP32 peak {args.peak_gflops:.0f} GFLOP/s\n")
    print("| encoder | batch | vedkit img/s | ms/batch | peak MiB | PyTorch img/s | peak MiB | ratio | GFLOP/img | % FP32 peak |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for encoder in args.encoders.split(","):
        for batch in args.batches.split(","):
            common = ["--encoder", encoder, "--batch", batch, "--seconds", str(args.seconds)]
            (ours, ms), our_mem = run_measured([os.path.join(args.build, "bench", "bench-encoders")] + common)
            (peer, _, gflop), peer_mem = run_measured(["/usr/bin/python3", os.path.join(HERE, "peers", "encoders_peer.py")] + common)
            peak = 100 * ours * gflop / args.peak_gflops
            print(f"| {encoder} | {batch} | {ours:.1f} | {ms:.1f} | {our_mem:.0f} | {peer:.1f} | {peer_mem:.0f} | "
                  f"{ours / peer:.2f}x | {gflop:.2f} | {peak:.0f}% |", flush=True)


if __name__ == "__main__":
    main()
