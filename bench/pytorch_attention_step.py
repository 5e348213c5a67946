"""PyTorch peer for `npm run bench` section "attention" (driven by bench/attention_seq2seq.ts).

The same protocol as bench/pytorch_step.py (one JSON command per line on stdin, one JSON reply per
line on stdout; "info", "load", "run", "quit"), for an attention seq2seq training step:

  encoder nn.LSTM(C, H) over the packed source  -> E (padded back to [B, Ts, H])
  decoder nn.LSTM(C, H) over the packed target input, started from the encoder's final (h, c)
                                                -> D (padded back to [B, Tt, H])
  Luong dot attention: S = D·Eᵀ, padded keys masked with -inf, softmax over keys, ctx = P·E
  head  Linear(2H, K) on [D, ctx] at the real target steps only, softmax
  loss  Keras' categorical crossentropy arithmetic (rows renormalised, clipped to [1e-7, 1-1e-7]),
        mean over the real target steps;  Adam(lr 1e-3, eps 1e-7)

One step = zero_grad + pack + forward + backward + optimizer.step, timed with perf_counter.

  {"cmd": "load", "name", "B", "Ts", "Tt", "C", "H", "K", "src": b64 f32 [B,Ts,C], "tgt": b64 f32 [B,Tt,C],
   "y": b64 f32 [B,Tt,K], "srcLengths": [B], "tgtLengths": [B], "warmup": n, "threads": t}
"""

import argparse
import base64
import json
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

EPS = 1e-7


class AttentionSeq2Seq(nn.Module):
    def __init__(self, c, h, k):
        super().__init__()
        self.encoder = nn.LSTM(c, h, batch_first=True)
        self.decoder = nn.LSTM(c, h, batch_first=True)
        self.head = nn.Linear(2 * h, k)

    def forward(self, src, src_lengths, tgt, tgt_lengths, key_padding, real_rows):
        e, state = self.encoder(pack_padded_sequence(src, src_lengths, batch_first=True, enforce_sorted=False))
        e, _ = pad_packed_sequence(e, batch_first=True)  # [B, Ts, H]
        d, _ = self.decoder(pack_padded_sequence(tgt, tgt_lengths, batch_first=True, enforce_sorted=False), state)
        d, _ = pad_packed_sequence(d, batch_first=True)  # [B, Tt, H]
        scores = torch.bmm(d, e.transpose(1, 2)).masked_fill(key_padding[:, None, :], float("-inf"))
        ctx = torch.bmm(torch.softmax(scores, dim=-1), e)
        x = torch.cat([d, ctx], dim=-1)[real_rows]  # the real target steps only
        return torch.softmax(self.head(x), dim=-1)


def keras_categorical_crossentropy(p, y):
    p = p / p.sum(dim=-1, keepdim=True)
    p = p.clamp(EPS, 1.0 - EPS)
    return -(y * torch.log(p)).sum(dim=-1).mean()


def tensor(msg, key, *shape):
    return torch.from_numpy(np.frombuffer(base64.b64decode(msg[key]), dtype=np.float32).copy().reshape(*shape))


class Case:
    def __init__(self, msg):
        B, Ts, Tt, C, H, K = (msg[k] for k in ("B", "Ts", "Tt", "C", "H", "K"))
        self.src = tensor(msg, "src", B, Ts, C)
        self.tgt = tensor(msg, "tgt", B, Tt, C)
        y = tensor(msg, "y", B, Tt, K)
        self.src_lengths = torch.tensor(msg["srcLengths"], dtype=torch.int64)
        self.tgt_lengths = torch.tensor(msg["tgtLengths"], dtype=torch.int64)
        self.key_padding = torch.arange(int(self.src_lengths.max()))[None, :] >= self.src_lengths[:, None]
        self.real_rows = torch.arange(int(self.tgt_lengths.max()))[None, :] < self.tgt_lengths[:, None]
        self.y = y[:, : int(self.tgt_lengths.max())][self.real_rows]
        torch.manual_seed(1)
        self.model = AttentionSeq2Seq(C, H, K)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=EPS)

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        p = self.model(self.src, self.src_lengths, self.tgt, self.tgt_lengths, self.key_padding, self.real_rows)
        loss = keras_categorical_crossentropy(p, self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def set_threads(msg):
    t = msg.get("threads")
    if t is not None and torch.get_num_threads() != int(t):
        torch.set_num_threads(int(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cases = {}

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    for raw in sys.stdin.buffer:
        try:
            msg = json.loads(raw)
            cmd = msg["cmd"]
            if cmd == "quit":
                reply({"ok": True})
                return
            if cmd == "info":
                reply({"torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0], "threads": torch.get_num_threads()})
            elif cmd == "load":
                set_threads(msg)
                case = Case(msg)
                for _ in range(int(msg.get("warmup", 3))):
                    case.step()
                cases[msg["name"]] = case
                reply({"ok": True})
            elif cmd == "run":
                case = cases[msg["name"]]
                set_threads(msg)
                ms = []
                loss = float("nan")
                for _ in range(int(msg.get("steps", 1))):
                    t0 = time.perf_counter()
                    loss = case.step()
                    ms.append((time.perf_counter() - t0) * 1000)
                reply({"ms": ms, "loss": loss})
            else:
                reply({"error": f"unknown command {cmd}"})
        except Exception as e:  # report, keep serving
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
