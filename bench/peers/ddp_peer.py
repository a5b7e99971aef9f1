"""The peer of bench-distributed: the same U-Net's training steps (cross-entropy, backward,
AdamW) under PyTorch's DistributedDataParallel, Gloo on 127.0.0.1, each rank with cores / ranks
threads. Prints, from rank 0: step_ms backward_ms full_allreduce_ms (every gradient at once)
peak_mib (rank 0's resident peak)."""
import argparse
import os
import resource
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from segment_peer import Unet


def rank_main(rank, args, port):
    torch.set_num_threads(max(1, args.threads or os.cpu_count() // args.ranks))
    ddp = args.ranks > 1
    if ddp:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=args.ranks)
    torch.manual_seed(1)
    model = Unet()
    if ddp:
        model = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=args.bucket_mb)
    torch.manual_seed(100 + rank)
    images = torch.rand(args.batch, 3, args.size, args.size)
    masks = torch.randint(11, (args.batch, args.size, args.size))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    step_s = backward_s = 0.0
    for step in range(-2, args.steps):
        began = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images), masks)
        backward_began = time.perf_counter()
        loss.backward()  # DDP's all-reduces start in here and end before it returns
        backward = time.perf_counter() - backward_began
        optimizer.step()
        if step >= 0:
            step_s += time.perf_counter() - began
            backward_s += backward
    full_s = 0.0
    if ddp:
        flat = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        for _ in range(5):
            began = time.perf_counter()
            dist.all_reduce(flat)
            full_s += (time.perf_counter() - began) / 5
        dist.destroy_process_group()
    if rank == 0:
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(1000 * step_s / args.steps, 1000 * backward_s / args.steps, 1000 * full_s, peak_mib,
              flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--bucket-mb", type=float, default=25)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--port", type=int, default=29761)
    args = parser.parse_args()
    mp.spawn(rank_main, args=(args, args.port), nprocs=args.ranks, join=True)


if __name__ == "__main__":
    main()
