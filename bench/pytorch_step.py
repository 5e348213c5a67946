"""PyTorch peer for `npm run bench` (section "pytorch", driven by bench/pytorch.ts).

A long-lived child: it reads one JSON command per line on stdin and answers one JSON line on
stdout, so the Node process can interleave PyTorch steps with ragged's after warm-up.

  {"cmd": "info"}                                  -> versions, threads, the OpenBLAS kernel in use
  {"cmd": "load", "name", "mode": "padded"|"packed", "B", "T", "C", "K",
   "x": base64 float32 [B,T,C], "y": base64 float32 [B,T,K], "lengths": [B], "warmup": n, "threads": t,
   "model": "seed" (default) | "conv_lstm"}
                                                   -> builds a fresh model + Adam, runs n untimed steps
  {"cmd": "run", "name", "steps": n, "threads": t} -> {"ms": [per-step ms], "loss": last loss}
                                                      (for the predict modes: the sum of the outputs)
                                                      (torch.set_num_threads(t) first, untimed)
  {"cmd": "quit"}

The model is the seed's: nn.LSTM(C, 32) -> nn.LSTM(32, 8) -> Linear(8, K) -> sigmoid, trained with
Keras' categorical-crossentropy arithmetic on the sigmoid outputs (rows renormalised, clipped to
[1e-7, 1 - 1e-7], -sum y log p, mean over steps) and Adam(lr 1e-3, eps 1e-7). One step =
zero_grad + forward + backward + optimizer.step, timed with perf_counter around exactly that.

"predict" / "predict-packed": inference only, under torch.inference_mode(): the dense batch as is
(one sequence needs no packing), or pack_padded_sequence(enforce_sorted=False) inside the timed call.

"conv_lstm" (bench/conv_lstm.ts, padded mode only): Conv1d(C, 32, 3, padding="same") -> relu ->
nn.LSTM(32, 32) -> Linear(32, K) -> sigmoid, the same loss and optimizer.

"padded": the dense [B, T, C] batch as is (every sequence run to T; zero targets on padding give
zero loss but the compute is B x T). "packed": pack_padded_sequence(enforce_sorted=False) through
both LSTMs; the head and the loss run on the packed rows (real steps only).

Thread settings come from the parent (environment), --threads (torch.set_num_threads at start)
and each command's "threads".
"""

import argparse
import base64
import ctypes
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

EPS = 1e-7


class Seed(nn.Module):
    def __init__(self, c: int, k: int):
        super().__init__()
        self.lstm1 = nn.LSTM(c, 32, batch_first=True)
        self.lstm2 = nn.LSTM(32, 8, batch_first=True)
        self.head = nn.Linear(8, k)

    def forward(self, x):
        h, _ = self.lstm1(x)
        h, _ = self.lstm2(h)
        # PackedSequence: apply the head to its rows (real steps only); dense: to every step.
        data = h.data if isinstance(h, torch.nn.utils.rnn.PackedSequence) else h
        return torch.sigmoid(self.head(data))


class ConvLstm(nn.Module):
    def __init__(self, c: int, k: int):
        super().__init__()
        self.conv = nn.Conv1d(c, 32, 3, padding="same")
        self.lstm = nn.LSTM(32, 32, batch_first=True)
        self.head = nn.Linear(32, k)

    def forward(self, x):
        h = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)
        h, _ = self.lstm(h)
        return torch.sigmoid(self.head(h))


def keras_categorical_crossentropy(p, y):
    p = p / p.sum(dim=-1, keepdim=True)
    p = p.clamp(EPS, 1.0 - EPS)
    return -(y * torch.log(p)).sum(dim=-1).mean()


class Case:
    def __init__(self, msg):
        B, T, C, K = msg["B"], msg["T"], msg["C"], msg["K"]
        x = torch.from_numpy(np.frombuffer(base64.b64decode(msg["x"]), dtype=np.float32).copy().reshape(B, T, C))
        y = torch.from_numpy(np.frombuffer(base64.b64decode(msg["y"]), dtype=np.float32).copy().reshape(B, T, K))
        lengths = torch.tensor(msg["lengths"], dtype=torch.int64)
        torch.manual_seed(1)
        kind = msg.get("model", "seed")
        if kind == "conv_lstm" and msg["mode"] != "padded":
            raise ValueError("conv_lstm runs padded only")
        self.model = ConvLstm(C, K) if kind == "conv_lstm" else Seed(C, K)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=EPS)
        self.mode = msg["mode"]
        if self.mode == "packed":
            self.x = x
            self.lengths = lengths
            # Targets packed once, in the order the packed outputs come out (same lengths, same sort).
            self.y = pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=False).data
        elif self.mode in ("padded", "predict", "predict-packed"):
            self.x = x
            self.y = y
            self.lengths = lengths
        else:
            raise ValueError(f"unknown mode {self.mode}")

    def step(self):
        if self.mode.startswith("predict"):
            with torch.inference_mode():
                inp = self.x
                if self.mode == "predict-packed":
                    inp = pack_padded_sequence(self.x, self.lengths, batch_first=True, enforce_sorted=False)
                return float(self.model(inp).sum())
        self.opt.zero_grad(set_to_none=True)
        if self.mode == "packed":
            # Packing is part of the step, as ragged's conversion is part of its trainOnBatch.
            inp = pack_padded_sequence(self.x, self.lengths, batch_first=True, enforce_sorted=False)
        else:
            inp = self.x
        loss = keras_categorical_crossentropy(self.model(inp), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def openblas_info():
    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in p or "lapack" in p or "omp" in p:
                if p not in libs:
                    libs.append(p)
    info = {"libraries": libs}
    for p in libs:
        if "openblas" in os.path.basename(p):
            try:
                lib = ctypes.CDLL(p)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["corename"] = lib.openblas_get_corename().decode()
                info["config"] = lib.openblas_get_config().decode()
                info["threads"] = lib.openblas_get_num_threads()
            except (OSError, AttributeError) as e:  # not OpenBLAS after all, or an old one
                info["error"] = str(e)
            break
    return info


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
    out = sys.stdout

    def reply(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    for raw in sys.stdin.buffer:
        try:
            msg = json.loads(raw)
            cmd = msg["cmd"]
            if cmd == "quit":
                reply({"ok": True})
                return
            if cmd == "info":
                env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MALLOC_MMAP_MAX_", "OMP_NUM_THREADS")}
                reply({
                    "torch": torch.__version__,
                    "numpy": np.__version__,
                    "python": sys.version.split()[0],
                    "threads": torch.get_num_threads(),
                    "interop_threads": torch.get_num_interop_threads(),
                    "mkldnn": torch.backends.mkldnn.is_available(),
                    "blas": openblas_info(),
                    "env": env,
                })
            elif cmd == "load":
                set_threads(msg)
                case = Case(msg)
                warm = []
                for _ in range(int(msg.get("warmup", 3))):
                    t0 = time.perf_counter()
                    case.step()
                    warm.append((time.perf_counter() - t0) * 1000)
                cases[msg["name"]] = case
                reply({"ok": True, "warmup_ms": warm})
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
