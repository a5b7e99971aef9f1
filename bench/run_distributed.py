#!/usr/bin/python3
"""Data-parallel training cost: vedkit's bucketed all-reduces beside PyTorch's
DistributedDataParallel (Gloo, 127.0.0.1), the bench's ResNet-18 U-Net, in one run. Each rank
gets cores / ranks threads, so 1 rank on 1 thread is the compute a rank of 2 does alone; the
step time a second rank adds beyond that is the cost of going data-parallel on this machine.

    /usr/bin/python3 bench/run_distributed.py [--build build] [--batch 8] [--size 128] [--steps 10]
"""
import argparse
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def run(command, cwd=None):
    out = subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout
    return [float(x) for x in out.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--batch", default="8")
    parser.add_argument("--size", default="128")
    parser.add_argument("--steps", default="10")
    args = parser.parse_args()
    common = ["--batch", args.batch, "--size", args.size, "--steps", args.steps]
    bench = [os.path.join(args.build, "bench", "bench-distributed")] + common
    peer = ["/usr/bin/python3", "ddp_peer.py"] + common
    peers = os.path.join(HERE, "peers")
    rows = []
    for ranks in ("1", "2"):
        threads = ["--threads", "1"] if ranks == "1" else []
        ours = run(bench + ["--ranks", ranks] + threads)
        theirs = run(peer + ["--ranks", ranks] + threads, cwd=peers)
        rows.append((ranks, ours, theirs))
    print(f"U-Net training steps, batch {args.batch} per rank, {args.size}x{args.size}, "
          f"gradients {rows[0][1][4]:.1f} MiB")
    print()
    print("| ranks | vedkit step ms | DDP step ms | vedkit img/s | DDP img/s | vedkit backward ms | "
          "DDP backward ms (with its all-reduces) | vedkit all-reduce exposed ms | "
          "all-reduce of every gradient at once ms (vedkit / PyTorch) | buckets | "
          "rank 0 peak MiB (vedkit / PyTorch) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for ranks, ours, theirs in rows:
        images = int(ranks) * int(args.batch)
        print(f"| {ranks} | {ours[0]:.0f} | {theirs[0]:.0f} | {1000 * images / ours[0]:.1f} | "
              f"{1000 * images / theirs[0]:.1f} | {ours[1]:.0f} | {theirs[1]:.0f} | {ours[2]:.0f} | "
              f"{ours[3]:.0f} / {theirs[2]:.0f} | {int(ours[5])} | {ours[6]:.0f} / {theirs[3]:.0f} |")
    one, two = rows
    ours_cost, theirs_cost = two[1][0] - one[1][0], two[2][0] - one[2][0]
    print()
    print(f"cost of the second rank per step: vedkit {ours_cost:.0f} ms "
          f"({100 * ours_cost / one[1][0]:.0f}% of a 1-rank step), DDP {theirs_cost:.0f} ms "
          f"({100 * theirs_cost / one[2][0]:.0f}%); hidden behind backward: vedkit "
          f"{max(0.0, two[1][3] - two[1][2]):.0f} of {two[1][3]:.0f} ms")


if __name__ == "__main__":
    main()
