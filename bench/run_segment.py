#!/usr/bin/python3
"""Segmentation inference speed, vedkit beside the same U-Net in PyTorch eager, in one run.

    /usr/bin/python3 bench/run_segment.py [--build build] [--seconds 5] [--dtypes float32,bfloat16]
"""
import os

from bench_run import driver_arguments, print_comparison, print_header

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = driver_arguments()
    parser.add_argument("--size", default="256")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    args = parser.parse_args()

    print_header(["dtype", "batch"], args.peak_gflops)
    for dtype in args.dtypes.split(","):
        for batch in args.batches.split(","):
            common = ["--batch", batch, "--size", args.size, "--seconds", str(args.seconds), "--dtype", dtype]
            print_comparison([dtype, batch],
                             [os.path.join(args.build, "bench", "bench-segment")] + common,
                             ["/usr/bin/python3", os.path.join(HERE, "peers", "segment_peer.py")] + common,
                             args.peak_gflops, args.repeats)


if __name__ == "__main__":
    main()
