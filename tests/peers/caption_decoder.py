#!/usr/bin/python3
"""The PyTorch side of the caption decoder parity test.

    caption_decoder.py OUT_DIR

Builds the decoder vedkit's CaptionDecoder mirrors (token and position embeddings,
torch.nn.TransformerDecoder with norm_first=True and GELU, the output tied to the token
embedding) with random weights and writes OUT_DIR/state.pt (parameter name -> tensor, in
vedkit's names) and OUT_DIR/outputs.pt (tokens [B, T], memory [B, N, D], logits [B, T, V]).
"""
import os
import sys

import torch
from torch import nn

VOCAB, WIDTH, LAYERS, HEADS, FFN, MAX_LENGTH = 50, 64, 2, 4, 128, 16


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, WIDTH)
        self.position_embedding = nn.Parameter(torch.randn(MAX_LENGTH, WIDTH) * 0.1)
        layer = nn.TransformerDecoderLayer(WIDTH, HEADS, FFN, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, LAYERS, norm=nn.LayerNorm(WIDTH))

    def forward(self, tokens, memory):
        length = tokens.shape[1]
        x = self.token_embedding(tokens) + self.position_embedding[:length]
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        x = self.decoder(x, memory, tgt_mask=mask)
        return x @ self.token_embedding.weight.t()


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = Decoder().eval()
    with torch.no_grad():  # non-trivial biases and norms, so a misplaced one shows
        for name, parameter in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                parameter.add_(torch.randn_like(parameter) * 0.1)
    tokens = torch.randint(0, VOCAB, (2, 9))
    memory = torch.randn(2, 7, WIDTH)
    with torch.no_grad():
        logits = model(tokens, memory)
    state = {name.removeprefix("decoder."): tensor.detach().clone()
             for name, tensor in model.named_parameters()}
    torch.save(state, os.path.join(out_dir, "state.pt"))
    torch.save({"tokens": tokens, "memory": memory, "logits": logits},
               os.path.join(out_dir, "outputs.pt"))


if __name__ == "__main__":
    main()
