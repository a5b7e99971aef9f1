"""Shared by the bench drivers: run a command, time it and read its peak memory."""
import os
import platform
import re
import subprocess


def run_measured(command):
    """Runs command; returns (stdout's last line split into floats, peak RSS in MiB)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


def default_peak_gflops():
    """FP32 FMA peak of the two cores, as measured in ../shared/NOTES.md."""
    return 370.0 if "Intel" in cpu_name() else 530.0


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


def print_comparison(first_cells, ours_command, peer_command, peak_gflops):
    """Runs vedkit's bench and the peer one after the other, prints one table row and returns
    both latencies (ms)."""
    (ours, ms), our_mem = run_measured(ours_command)
    (peer, peer_ms, gflop), peer_mem = run_measured(peer_command)
    cells = list(first_cells) + [f"{ours:.1f}", f"{ms:.1f}", f"{our_mem:.0f}", f"{peer:.1f}",
                                 f"{peer_mem:.0f}", f"{ours / peer:.2f}x", f"{gflop:.2f}",
                                 f"{100 * ours * gflop / peak_gflops:.0f}%"]
    print("| " + " | ".join(cells) + " |", flush=True)
    return ms, peer_ms
