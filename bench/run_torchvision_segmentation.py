#!/usr/bin/python3
"""torchvision's six segmentation models at 520x520, vedkit beside torchvision itself (PyTorch
eager), in one run.

    /usr/bin/python3 bench/run_torchvision_segmentation.py [--build build] [--archs A,B]
        [--batches 1] [--seconds 1] [--repeats 3] [--warmup 1 --min-passes 2] [--engine eager]

Each model is converted once, with random weights (scripts/import_torchvision.py --random),
into a temporary folder (or --models DIR, kept and reused). Then each side times one forward
pass to the logits, its own process at a time, the two alternated --repeats times; the cells are
medians. At 520x520 a ResNet-101 model takes seconds a pass on 2 cores and batch 8 several GiB:
the defaults (batch 1, one warm-up and at least 2 timed passes of at least 1 s) keep a run of
all six near 6.5 minutes on the 2-core Zen 3 of bench/README.md. `--batches 1,8` times batch 8
too: about 2 minutes for the two MobileNetV3 models, far longer for the ResNet ones.

Prints a markdown table: ms per batch (median of the rounds' means) and the fastest pass, img/s,
the ratio of PyTorch's time to vedkit's (above 1: vedkit faster; in brackets the range of the
rounds' ratios), GFLOP per image (convolutions' multiply-adds x2, by forward hooks in the peer),
vedkit's share of the CPU's FP32 FMA peak, and each process's peak resident memory.
"""
import os
import subprocess
import tempfile

from bench_run import (cpu_name, cpu_vector_sets, default_dtypes, driver_arguments, median,
                       run_measured)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
ARCHS = ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101",
         "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"]
COLUMNS = ["model", "precision", "batch", "vedkit ms/batch", "best ms", "img/s",
           "PyTorch ms/batch", "best ms", "img/s", "ratio", "best ratio", "GFLOP/img",
           "% FP32 peak", "vedkit peak MiB", "PyTorch peak MiB"]


def convert(arch, folder, build):
    """arch with random weights as a vedkit model file in folder (kept if already there)."""
    path = os.path.join(folder, arch + ".vdk")
    if os.path.exists(path):
        return path
    command = ["/usr/bin/python3", os.path.join(ROOT, "scripts", "import_torchvision.py"),
               "--arch", arch, "--random", "--out", path,
               "--vedkit-export", os.path.join(build, "apps", "vedkit-export")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return path


def compare(cells, ours_command, peer_command, peak_gflops, repeats):
    """Runs both sides alternately `repeats` times and prints one row. Each side prints
    "images_per_s latency_ms ... best_pass_ms", the peer GFLOP per image third."""
    ours, peer = [], []
    for _ in range(repeats):
        ours.append(run_measured(ours_command))
        peer.append(run_measured(peer_command))
    batch = int(cells[-1])
    our_ms = median([values for values, _ in ours], key=lambda v: v[1])[1]
    peer_ms = median([values for values, _ in peer], key=lambda v: v[1])[1]
    our_best = min(values[-1] for values, _ in ours)
    peer_best = min(values[-1] for values, _ in peer)
    ratio = f"{peer_ms / our_ms:.2f}x"
    if repeats > 1:
        ratios = sorted(p[1] / o[1] for (o, _), (p, _) in zip(ours, peer))
        ratio += f" ({ratios[0]:.2f}-{ratios[-1]:.2f})"
    gflop = median([values for values, _ in peer], key=lambda v: v[1])[2]
    our_rate, peer_rate = 1000 * batch / our_ms, 1000 * batch / peer_ms
    cells = list(cells) + [
        f"{our_ms:.1f}", f"{our_best:.1f}", f"{our_rate:.2f}",
        f"{peer_ms:.1f}", f"{peer_best:.1f}", f"{peer_rate:.2f}",
        ratio, f"{peer_best / our_best:.2f}x", f"{gflop:.2f}",
        f"{100 * our_rate * gflop / peak_gflops:.0f}%",
        f"{max(memory for _, memory in ours):.0f}", f"{max(memory for _, memory in peer):.0f}"]
    print("| " + " | ".join(cells) + " |", flush=True)


def main():
    parser = driver_arguments()
    parser.set_defaults(seconds=1.0)
    parser.add_argument("--archs", default=",".join(ARCHS))
    parser.add_argument("--batches", default="1", help="say 1,8 (ResNet-101 at batch 8: minutes)")
    parser.add_argument("--size", default="520")
    parser.add_argument("--precisions", default=default_dtypes(),
                        help="float32, and bfloat16 where the CPU has AVX-512 BF16 or AMX")
    parser.add_argument("--warmup", default="1", help="untimed passes before each measurement")
    parser.add_argument("--min-passes", default="2", help="timed passes per measurement, at least")
    parser.add_argument("--engine", default="onednn",
                        help="vedkit's path: onednn (one oneDNN graph where it can) | eager")
    parser.add_argument("--models", default=None,
                        help="keep the converted model files in this folder and reuse them")
    args = parser.parse_args()
    archs = args.archs.split(",")
    unknown = [arch for arch in archs if arch not in ARCHS]
    if unknown:
        raise SystemExit(f"--archs: unknown {', '.join(unknown)}; "
                         f"expected some of {', '.join(ARCHS)}")

    print(f"CPU: {cpu_name()} ({cpu_vector_sets()}), {os.cpu_count()} threads; FP32 peak "
          f"{args.peak_gflops:.0f} GFLOP/s; {args.size}x{args.size}, {args.repeats} alternated "
          f"rounds, at least {args.seconds:g} s and {args.min_passes} passes after "
          f"{args.warmup} warm-up\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS), flush=True)
    with tempfile.TemporaryDirectory(prefix="vedkit-torchvision-") as temporary:
        folder = args.models or temporary
        os.makedirs(folder, exist_ok=True)
        for arch in archs:
            model = convert(arch, folder, args.build)
            for precision in args.precisions.split(","):
                for batch in args.batches.split(","):
                    common = ["--batch", batch, "--size", args.size, "--seconds", str(args.seconds),
                              "--precision", precision, "--warmup", args.warmup,
                              "--min-passes", args.min_passes]
                    compare([arch, precision, batch],
                            [os.path.join(args.build, "bench", "bench-torchvision-segmentation"),
                             "--model", model, "--engine", args.engine] + common,
                            ["/usr/bin/python3",
                             os.path.join(HERE, "peers", "torchvision_segmentation_peer.py"),
                             "--arch", arch] + common,
                            args.peak_gflops, args.repeats)


if __name__ == "__main__":
    main()
