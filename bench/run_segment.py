#!/usr/bin/python3
"""Segmentation inference speed, vedkit beside the same U-Net in PyTorch eager, in one run.

    /usr/bin/python3 bench/run_segment.py [--build build] [--seconds 5] [--dtypes float32,bfloat16]
"""
import argparse
import os

from bench_run import cpu_name, default_peak_gflops, run_measured

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", default="256")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--peak-gflops", type=float, default=default_peak_gflops())
    args = parser.parse_args()

    print(f"CPU: {cpu_name()}, {os.cpu_count()} threads; FP32 peak {args.peak_gflops:.0f} GFLOP/s\n")
    print("| dtype | batch | vedkit img/s | ms/batch | peak MiB | PyTorch img/s | peak MiB | ratio | GFLOP/img | % FP32 peak |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for dtype in args.dtypes.split(","):
        for batch in args.batches.split(","):
            common = ["--batch", batch, "--size", args.size, "--seconds", str(args.seconds), "--dtype", dtype]
            (ours, ms), our_mem = run_measured([os.path.join(args.build, "bench", "bench-segment")] + common)
            (peer, _, gflop), peer_mem = run_measured(["/usr/bin/python3", os.path.join(HERE, "peers", "segment_peer.py")] + common)
            print(f"| {dtype} | {batch} | {ours:.1f} | {ms:.1f} | {our_mem:.0f} | {peer:.1f} | {peer_mem:.0f} | "
                  f"{ours / peer:.2f}x | {gflop:.2f} | {100 * ours * gflop / args.peak_gflops:.0f}% |", flush=True)


if __name__ == "__main__":
    main()
