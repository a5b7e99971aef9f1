"""Shared by the bench drivers: run a command, time it and read its peak memory."""
import argparse
import os
import platform
import re
import subprocess


def run_measured(command):
    """Runs command; returns (stdout's last line split into floats, peak RSS in MiB)."""
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise SystemExit(f"{command[0]}: no such program; build first (bash scripts/setup.sh) "
                         "or pass --build") from None
    _, status, usage = os.wait4(process.pid, 0)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    values = [float(v) for v in stdout.strip().splitlines()[-1].split()]
    return values, usage.ru_maxrss / 1024


def cpu_name():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return re.sub(r"\s+", " ", line.split(":", 1)[1].strip())
    return platform.processor()


def measured_peak_gflops(build):
    """This CPU's FP32 FMA peak on all its threads, measured now by bench/fp32-peak."""
    values, _ = run_measured([os.path.join(build, "bench", "fp32-peak")])
    return values[0]


class DriverArguments(argparse.ArgumentParser):
    """Parses the options every bench driver takes; without --peak-gflops, measures the peak."""

    def parse_args(self, *args, **kwargs):
        parsed = super().parse_args(*args, **kwargs)
        if parsed.peak_gflops is None:
            parsed.peak_gflops = measured_peak_gflops(parsed.build)
        return parsed


def driver_arguments():
    """An argument parser with the options every bench driver takes; each adds its own."""
    parser = DriverArguments()
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--build", default=os.path.join(here, "..", "build"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternated")
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="FP32 peak to divide by (default: measured by bench/fp32-peak)")
    return parser


def print_header(first_columns, peak_gflops, unit="img", per="batch"):
    # OpenBLAS picks its kernels from the CPU unless this says otherwise; on the AMD EPYC
    # sessions the environment forces "Haswell" (AVX2), which both sides then run.
    kernels = os.environ.get("OPENBLAS_CORETYPE", "chosen by OpenBLAS")
    print(f"CPU: {cpu_name()}, {os.cpu_count()} threads; FP32 peak {peak_gflops:.0f} GFLOP/s; "
          f"OpenBLAS kernels: {kernels}\n")
    columns = first_columns + [f"vedkit {unit}/s", f"ms/{per}", "peak MiB", f"PyTorch {unit}/s",
                               "peak MiB", "ratio", f"GFLOP/{unit}", "% FP32 peak"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def print_comparison(first_cells, ours_command, peer_command, peak_gflops, repeats=1):
    """Runs vedkit's bench and the peer in turn, `repeats` times, prints one table row and returns
    both median latencies (ms). On a noisy VM one pair can be 40% off; alternating the two and
    taking medians keeps a burst from landing on one side only. With repeats > 1 the ratio cell
    also gives the range of the pairs' ratios."""
    ours_runs, peer_runs = [], []
    for _ in range(repeats):
        ours_runs.append(run_measured(ours_command))
        peer_runs.append(run_measured(peer_command))
    ours, ms = median([values for values, _ in ours_runs], key=lambda v: v[0])
    peer, peer_ms, gflop = median([values for values, _ in peer_runs], key=lambda v: v[0])
    our_mem = max(memory for _, memory in ours_runs)
    peer_mem = max(memory for _, memory in peer_runs)
    ratios = sorted(o[0] / p[0] for (o, _), (p, _) in zip(ours_runs, peer_runs))
    ratio = f"{ours / peer:.2f}x"
    if repeats > 1:
        ratio += f" ({ratios[0]:.2f}-{ratios[-1]:.2f})"
    cells = list(first_cells) + [f"{ours:.1f}", f"{ms:.1f}", f"{our_mem:.0f}", f"{peer:.1f}",
                                 f"{peer_mem:.0f}", ratio, f"{gflop:.2f}",
                                 f"{100 * ours * gflop / peak_gflops:.0f}%"]
    print("| " + " | ".join(cells) + " |", flush=True)
    return ms, peer_ms


def median(runs, key):
    """The run whose key is the median (the lower middle one for an even count)."""
    return sorted(runs, key=key)[(len(runs) - 1) // 2]
