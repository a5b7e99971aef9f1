"""Shared by the bench drivers: run a command, time it and read its peak memory."""
import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile


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


def print_header(first_columns, peak_gflops, unit="img", per="batch", peers=("PyTorch",)):
    # OpenBLAS picks its kernels from the CPU unless this says otherwise; on the AMD EPYC
    # sessions the environment forces "Haswell" (AVX2), which both sides then run.
    kernels = os.environ.get("OPENBLAS_CORETYPE", "chosen by OpenBLAS")
    print(f"CPU: {cpu_name()} ({cpu_vector_sets()}), {os.cpu_count()} threads; FP32 peak "
          f"{peak_gflops:.0f} GFLOP/s; OpenBLAS kernels: {kernels}\n")
    columns = first_columns + [f"vedkit {unit}/s", f"ms/{per}", "best ms", "peak MiB"]
    for peer in peers:
        columns += [f"{peer} {unit}/s", "best ms", "peak MiB", "ratio", "best ratio"]
    columns += [f"GFLOP/{unit}", "% FP32 peak"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def cpu_vector_sets():
    """The vector instruction sets that decide which kernels run: AVX2, AVX-512, VNNI, bf16, AMX."""
    with open("/proc/cpuinfo") as info:
        flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    names = {"avx2": "AVX2", "avx512f": "AVX-512", "avx512_vnni": "VNNI", "avx512_bf16": "AVX-512 BF16",
             "amx_bf16": "AMX-BF16"}
    return ", ".join(name for flag, name in names.items() if flag in flags) or "no AVX2"


def default_dtypes():
    """float32, and bfloat16 where the CPU has it natively: emulated, it runs about 70x slower
    and vedkit refuses it there."""
    with open("/proc/cpuinfo") as info:
        flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    return "float32,bfloat16" if {"avx512_bf16", "amx_bf16"} & set(flags) else "float32"


def print_comparison(first_cells, ours_command, peer_commands, peak_gflops, repeats=1):
    """Runs vedkit's bench and each peer in turn, `repeats` times, prints one table row and
    returns the median latencies (ms), vedkit's first. On a noisy VM one run can be 40% off;
    alternating them and taking medians keeps a burst from landing on one side only. With
    repeats > 1 each ratio cell also gives the range of the rounds' ratios. Every side prints
    "images_per_s latency_ms ... best_pass_ms", the first peer the GFLOP per image third; "best
    ratio" compares the fastest passes of all rounds, which the host's noise touches least. A
    peer given as None (not installed) gets empty cells."""
    if isinstance(peer_commands[0], str):
        peer_commands = [peer_commands]
    ours_runs, peer_runs = [], [[] for _ in peer_commands]
    for _ in range(repeats):
        ours_runs.append(run_measured(ours_command))
        for runs, command in zip(peer_runs, peer_commands):
            if command is not None:
                runs.append(run_measured(command))
    ours, ms = median([values for values, _ in ours_runs], key=lambda v: v[0])[:2]
    our_best = min(values[-1] for values, _ in ours_runs)
    cells = list(first_cells) + [f"{ours:.1f}", f"{ms:.1f}", f"{our_best:.1f}",
                                 f"{max(memory for _, memory in ours_runs):.0f}"]
    latencies = [ms]
    for runs in peer_runs:
        if not runs:
            cells += ["-"] * 5
            latencies.append(None)
            continue
        peer, peer_ms = median([values for values, _ in runs], key=lambda v: v[0])[:2]
        ratios = sorted(o[0] / p[0] for (o, _), (p, _) in zip(ours_runs, runs))
        ratio = f"{ours / peer:.2f}x"
        if repeats > 1:
            ratio += f" ({ratios[0]:.2f}-{ratios[-1]:.2f})"
        peer_best = min(values[-1] for values, _ in runs)
        cells += [f"{peer:.1f}", f"{peer_best:.1f}", f"{max(memory for _, memory in runs):.0f}",
                  ratio, f"{peer_best / our_best:.2f}x"]
        latencies.append(peer_ms)
    gflop = median([values for values, _ in peer_runs[0]], key=lambda v: v[0])[2]
    cells += [f"{gflop:.2f}", f"{100 * ours * gflop / peak_gflops:.0f}%"]
    print("| " + " | ".join(cells) + " |", flush=True)
    return latencies


ORT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "ort")
ORT_INSTALL = "(cd bench/peers/ort && npm install --ignore-scripts --no-audit --no-fund)"
_onnx_dir = tempfile.TemporaryDirectory(prefix="vedkit-onnx-")


def ort_peer_command(model, batch, size, seconds):
    """The ONNX Runtime peer's command for one model (unet, or an encoders_peer.py name),
    exporting its ONNX file first; None, with a note on stderr, where onnxruntime-node is not
    installed."""
    if not os.path.isdir(os.path.join(ORT_DIR, "node_modules", "onnxruntime-node")):
        print(f"(ONNX Runtime peer not installed: {ORT_INSTALL})", file=sys.stderr)
        return None
    path = os.path.join(_onnx_dir.name, f"{model}_b{batch}_s{size}.onnx")
    if not os.path.exists(path):
        subprocess.run(["/usr/bin/python3", os.path.join(ORT_DIR, "..", "export_onnx.py"),
                        "--model", model, "--batch", str(batch), "--size", str(size),
                        "--out", path], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return ["node", os.path.join(ORT_DIR, "ort_peer.mjs"), path, str(batch), str(size),
            str(seconds)]


def median(runs, key):
    """The run whose key is the median (the lower middle one for an even count)."""
    return sorted(runs, key=key)[(len(runs) - 1) // 2]
