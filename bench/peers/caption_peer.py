#!/usr/bin/python3
"""The PyTorch eager peer of bench-caption: the same captioner (ViT-Ti/16 encoder, patch tokens
projected to 256 + LayerNorm + a fixed position embedding; a 4-layer pre-norm
nn.TransformerDecoder of width 256, 4 heads, ffn 1024, GELU; vocabulary 1000), decoding one
image into exactly --tokens tokens as a plain PyTorch user writes it: no cache, every new token
reruns the decoder on the whole prefix; beam search batches its beams through the decoder.

Prints "captions_per_s ms_per_caption gflop_per_image" on one line. The GFLOP count is the
work of one caption done once: the encoder, the memory's keys and values once, and the decoder
over the caption's tokens (for each beam), not the prefix reruns this peer spends on top.
"""
import argparse
import os

import torch
import torchvision

from timing import count_flops, time_passes


class Captioner(torch.nn.Module):
    def __init__(self, vocab=1000, width=256, layers=4, heads=4, ffn=1024, max_length=32):
        super().__init__()
        self.vit = torchvision.models.VisionTransformer(224, 16, 12, 3, 192, 768)
        self.memory_proj, self.memory_norm = torch.nn.Linear(192, width), torch.nn.LayerNorm(width)
        self.register_buffer("memory_position", torch.randn(196, width))  # values do not matter
        layer = torch.nn.TransformerDecoderLayer(width, heads, ffn, activation="gelu",
                                                 batch_first=True, norm_first=True)
        self.decoder = torch.nn.TransformerDecoder(layer, layers, norm=torch.nn.LayerNorm(width))
        self.token_embedding = torch.nn.Embedding(vocab, width)
        self.position_embedding = torch.nn.Parameter(torch.randn(max_length, width) * 0.02)
        self.head = torch.nn.Linear(width, vocab, bias=False)
        self.head.weight = self.token_embedding.weight  # tied, as vedkit's default
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def encode(self, x):  # [B, 3, 224, 224] -> memory [B, 196, width]
        seq = self.vit._process_input((x - self.mean) / self.std)
        cls = self.vit.class_token.expand(x.shape[0], -1, -1)
        tokens = self.vit.encoder(torch.cat([cls, seq], dim=1))[:, 1:]
        return self.memory_norm(self.memory_proj(tokens)) + self.memory_position

    def logits(self, tokens, memory):  # tokens [B, T], memory [B, N, width] -> [B, T, vocab]
        length = tokens.shape[1]
        x = self.token_embedding(tokens) + self.position_embedding[:length]
        mask = torch.nn.Transformer.generate_square_subsequent_mask(length)
        return self.head(self.decoder(x, memory, tgt_mask=mask))


def greedy(model, memory, steps, bos=1):
    tokens = torch.full((1, 1), bos)
    for _ in range(steps):
        next_token = model.logits(tokens, memory)[:, -1].argmax(-1, keepdim=True)
        tokens = torch.cat([tokens, next_token], 1)
    return tokens[0, 1:]


def beam_search(model, memory, steps, beams, bos=1):
    tokens = torch.full((beams, 1), bos)
    scores = torch.tensor([0.0] + [float("-inf")] * (beams - 1))  # beam 0 alone at first
    memory = memory.expand(beams, -1, -1)
    for _ in range(steps):
        log_probs = model.logits(tokens, memory)[:, -1].log_softmax(-1)  # [K, V]
        total = (scores.unsqueeze(1) + log_probs).view(-1)
        scores, index = total.topk(beams)
        rows, words = index // log_probs.shape[1], index % log_probs.shape[1]
        tokens = torch.cat([tokens[rows], words.unsqueeze(1)], 1)
    return tokens[0, 1:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", default="greedy", choices=["greedy", "beam"])
    parser.add_argument("--beam", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)  # Debian's torch starts with one thread here

    model = Captioner().eval()
    x = torch.rand(1, 3, args.size, args.size)
    if args.dtype == "bfloat16":  # the whole model, as vedkit does: this torch's autocast trips on LayerNorm
        model, x = model.to(torch.bfloat16), x.to(torch.bfloat16)
    beams = args.beam if args.method == "beam" else 1

    def caption(image):
        memory = model.encode(image)
        if args.method == "beam":
            return beam_search(model, memory, args.tokens, beams)
        return greedy(model, memory, args.tokens)

    def one_pass(image):  # the work of one caption, done once: teacher-forced over its tokens
        tokens = torch.ones(beams, args.tokens, dtype=torch.long)
        return model.logits(tokens, model.encode(image).expand(beams, -1, -1))

    with torch.inference_mode():
        assert caption(x).numel() == args.tokens
        # The memory's keys and values count once, not once per beam: 4 layers x 2 x [196, 256].
        gflop = count_flops(model, one_pass, x) - (beams - 1) * 4 * 2 * 2 * 196 * 256 * 256 / 1e9
        captions_per_s, ms, best_ms = time_passes(caption, x, args.seconds)
    print(f"{captions_per_s} {ms} {gflop} {best_ms}")


if __name__ == "__main__":
    main()
