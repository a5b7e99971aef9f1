"""The timing loop and FLOP count shared by the PyTorch peers."""
import time

import torch


def time_passes(run, x, seconds, warmup=3, min_passes=5):
    """Warms up `warmup` passes, then times at least `seconds` (and min_passes passes);
    returns (images per second, milliseconds per pass, milliseconds of the fastest pass)."""
    for _ in range(warmup):
        run(x)
    passes, best, start = 0, float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds or passes < min_passes:
        began = time.perf_counter()
        run(x)
        best = min(best, time.perf_counter() - began)
        passes += 1
    elapsed = time.perf_counter() - start
    return passes * x.shape[0] / elapsed, 1000 * elapsed / passes, 1000 * best


def count_flops(model, run, x):
    """Multiply-adds x2 of convolutions, linear layers and attention, by forward hooks."""
    total = [0]

    def conv(module, inputs, output):
        total[0] += 2 * output.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]

    def linear(module, inputs, output):
        total[0] += 2 * output.numel() * module.in_features

    def attention(module, inputs, output):
        batch, tokens, width = output[0].shape  # batch first
        # Keys from inputs[1] when called positionally (cross-attention); torchvision's ViT
        # calls with keywords, inputs empty: self-attention.
        keys = inputs[1].shape[1] if len(inputs) > 1 else tokens
        total[0] += 2 * batch * (2 * tokens + 2 * keys) * width * width + 4 * batch * tokens * keys * width

    hooks = []
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            hooks.append(module.register_forward_hook(conv))
        elif isinstance(module, torch.nn.MultiheadAttention):
            hooks.append(module.register_forward_hook(attention))
        elif isinstance(module, torch.nn.Linear) and not isinstance(
                module, torch.nn.modules.linear.NonDynamicallyQuantizableLinear):
            hooks.append(module.register_forward_hook(linear))
    run(x)
    for hook in hooks:
        hook.remove()
    return total[0] / x.shape[0] / 1e9
