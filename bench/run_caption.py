#!/usr/bin/python3
"""Captioning speed at batch 1, vedkit (key/value cache) beside the same captioner in PyTorch
eager (no cache), greedy and beam search, in one run; then, when the bundled captioning model
is there, what vedkit-caption sustains on a video.

    /usr/bin/python3 bench/run_caption.py [--build build] [--seconds 5] [--tokens 20]
        [--dtypes float32,bfloat16]
"""
import os
import re
import subprocess
import tempfile

from bench_run import default_dtypes, driver_arguments, print_comparison, print_header

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "models", "captioning_scenes_resnet18.vdk")
VIDEO = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


def video_report(build):
    """Runs vedkit-caption on VIDEO (headless, --fast) and returns its report's fps, captions
    per second and ms per caption."""
    with tempfile.TemporaryDirectory() as folder:
        command = [os.path.join(build, "apps", "vedkit-caption"), "--model", MODEL, "--video", VIDEO,
                   "--headless", "--out", os.path.join(folder, "captioned.avi"), "--fast"]
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    report = done.stderr.strip().splitlines()[-1]
    # "... (12.3 fps, 0 of 795 read dropped), 40 captions (1.23/s, 790 ms each)"
    found = re.search(r"\(([\d.]+) fps.*captions \(([\d.]+)/s, ([\d.]+) ms each\)", report)
    if not found:
        raise SystemExit(f"unexpected vedkit-caption report: {report}")
    return [float(v) for v in found.groups()]


def main():
    parser = driver_arguments()
    parser.add_argument("--tokens", default="20")
    parser.add_argument("--beam", default="3")
    parser.add_argument("--dtypes", default=default_dtypes())
    args = parser.parse_args()

    print_header(["dtype", "decoding", "tokens"], args.peak_gflops, unit="caption", per="caption")
    per_token = []
    for dtype in args.dtypes.split(","):
        for method in ["greedy", "beam"]:
            name = "greedy" if method == "greedy" else f"beam {args.beam}"
            common = ["--method", method, "--beam", args.beam, "--tokens", args.tokens,
                      "--seconds", str(args.seconds), "--dtype", dtype]
            ms, peer_ms = print_comparison(
                [dtype, name, args.tokens],
                [os.path.join(args.build, "bench", "bench-caption")] + common,
                ["/usr/bin/python3", os.path.join(HERE, "peers", "caption_peer.py")] + common,
                args.peak_gflops, args.repeats)
            per_token.append((dtype, name, ms / int(args.tokens), peer_ms / int(args.tokens)))
    print("\n| dtype | decoding | vedkit ms/token | PyTorch ms/token |\n|---|---|---|---|")
    for dtype, name, ours, peer in per_token:
        print(f"| {dtype} | {name} | {ours:.2f} | {peer:.2f} |")

    if os.path.exists(MODEL):
        fps, captions_per_s, ms = video_report(args.build)
        print(f"\nvedkit-caption --fast --headless on vtest.avi ({os.path.basename(MODEL)}): "
              f"{fps:.1f} fps, {captions_per_s:.2f} captions/s ({ms:.0f} ms each)")
    else:
        print(f"\n(no {os.path.relpath(MODEL)}: vedkit-caption on a video skipped)")


if __name__ == "__main__":
    main()
