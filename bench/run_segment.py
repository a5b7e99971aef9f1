#!/usr/bin/python3
"""Segmentation speed, inference and training steps, vedkit beside the same U-Net in PyTorch
eager, in one run. int8 (inference only) is vedkit's int8 graph beside PyTorch's FX int8 (oneDNN).

    /usr/bin/python3 bench/run_segment.py [--build build] [--seconds 5] [--dtypes float32,bfloat16,int8]
                                          [--train-batch 16 --train-size 128 | --train-batch 0]
"""
import os

from bench_run import default_dtypes, driver_arguments, ort_peer_command, print_comparison, print_header

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = driver_arguments()
    parser.add_argument("--size", default="256")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--dtypes", default=default_dtypes())
    parser.add_argument("--train-batch", default="16", help="0 skips the training steps")
    parser.add_argument("--train-size", default="128")
    args = parser.parse_args()

    runs = [("infer", dtype, batch, args.size) for dtype in args.dtypes.split(",")
            for batch in args.batches.split(",")]
    if args.train_batch != "0":
        runs += [("train", dtype, args.train_batch, args.train_size) for dtype in args.dtypes.split(",")
                 if dtype != "int8"]
    print_header(["mode", "dtype", "batch", "size"], args.peak_gflops,
                 peers=("PyTorch", "ONNX Runtime"))
    for mode, dtype, batch, size in runs:
        common = ["--mode", mode, "--batch", batch, "--size", size, "--seconds", str(args.seconds),
                  "--dtype", dtype]
        # A training step costs about 3x the forward pass's FLOPs; the % of peak column counts that.
        factor = 3.0 if mode == "train" else 1.0
        # ONNX Runtime is an inference engine: float32 inference only.
        ort = (ort_peer_command("unet", batch, size, args.seconds)
               if mode == "infer" and dtype == "float32" else None)
        print_comparison([mode, dtype, batch, size],
                         [os.path.join(args.build, "bench", "bench-segment")] + common,
                         [["/usr/bin/python3", os.path.join(HERE, "peers", "segment_peer.py")] + common,
                          ort],
                         args.peak_gflops / factor, args.repeats)


if __name__ == "__main__":
    main()
