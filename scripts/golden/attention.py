#!/usr/bin/env python3
"""Golden values for ragged's attention layers, from PyTorch (an independent implementation).

Writes test/golden/attention.json. Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 scripts/golden/attention.py

Every case is a padded batch with masks in PyTorch (float64): the ragged layers must give, for each
sequence, what PyTorch gives on the padded batch at that sequence's real positions. Gradients are
those of loss = Σ out ⊙ dOut (+ Σ scores ⊙ dScores) over the real positions only, by autograd.

- Attention (Luong): hand-written in torch — scores = scale · q·kᵀ ("dot") or
  concat_score_weight · Σ tanh(scale · (q + k)) ("concat"), masked_fill(−inf) on padded keys
  (and on j > i with the causal mask), softmax, · v.
- AdditiveAttention (Bahdanau): scores = Σ_d scale_d · tanh(q_d + k_d), same masking.
- MultiHeadAttention: torch.nn.MultiheadAttention (key_padding_mask, attn_mask for causal),
  its weights rewritten in Keras 3's layout: query/key/value kernels [C, heads, dim], biases
  [heads, dim], output kernel [heads, dim, out], output bias [out].

Weights are listed in Keras order under Keras names. Ragged arrays are lists per sequence.
"""
import json
import math
import os
import sys

import torch

torch.manual_seed(20261202)
DT = torch.float64


def rand(*shape):
    return (torch.rand(*shape, dtype=DT) * 2 - 1)


def ragged(lengths, width):
    return [rand(n, width) for n in lengths]


def pad(seqs, width):
    T = max([s.shape[0] for s in seqs] + [1])
    out = torch.zeros(len(seqs), T, width, dtype=DT)
    for b, s in enumerate(seqs):
        out[b, : s.shape[0]] = s
    return out


def key_mask(lengths, T):
    """[B, T] True at real positions."""
    return torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]


def to_list(t):
    return [[round(float(x), 9) for x in row] for row in t]


def flat(t):
    return [round(float(x), 9) for x in t.reshape(-1)]


def unpad(padded, lengths):
    return [to_list(padded[b, :n]) for b, n in enumerate(lengths)]


def masked_softmax(scores, kmask, causal):
    """scores [B, Tq, Tk]; kmask [B, Tk] True = real key."""
    allowed = kmask[:, None, :].expand_as(scores).clone()
    if causal:
        Tq, Tk = scores.shape[-2:]
        allowed &= torch.ones(Tq, Tk, dtype=torch.bool).tril()[None]
    return torch.softmax(scores.masked_fill(~allowed, -math.inf), dim=-1)


def luong_case(name, qlen, vlen, dim, score_mode, use_scale, causal=False, with_key=False, self_attention=False, score_grad=False):
    if self_attention:
        vlen = qlen
    q_seqs = ragged(qlen, dim)
    v_seqs = q_seqs if self_attention else ragged(vlen, dim)
    k_seqs = ragged(vlen, dim) if with_key else v_seqs
    Tq, Tk = max(qlen), max(vlen)
    q = pad(q_seqs, dim).requires_grad_()
    v = q if self_attention else pad(v_seqs, dim).requires_grad_()
    k = pad(k_seqs, dim).requires_grad_() if with_key else v
    weights = {}
    scale = torch.tensor(0.7 + 0.6 * torch.rand(1).item(), dtype=DT, requires_grad=True)
    csw = torch.tensor(0.8 + 0.5 * torch.rand(1).item(), dtype=DT, requires_grad=True)
    if use_scale:
        weights["scale"] = scale
    if score_mode == "concat":
        weights["concat_score_weight"] = csw
    s = scale if use_scale else 1.0
    if score_mode == "dot":
        scores = s * q @ k.transpose(1, 2)
    else:
        scores = csw * torch.tanh(s * (q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    probs = masked_softmax(scores, key_mask(vlen, Tk), causal)
    out = probs @ v
    config = {"useScale": use_scale, "scoreMode": score_mode, "dropout": 0.0}
    return finish(name, "Attention", config, causal, qlen, vlen, q_seqs, v_seqs, k_seqs if with_key else None,
                  q, v, k if with_key else None, weights, out, probs, dim, score_grad, self_attention)


def bahdanau_case(name, qlen, vlen, dim, use_scale, causal=False, with_key=False, score_grad=False):
    q_seqs, v_seqs = ragged(qlen, dim), ragged(vlen, dim)
    k_seqs = ragged(vlen, dim) if with_key else v_seqs
    Tk = max(vlen)
    q = pad(q_seqs, dim).requires_grad_()
    v = pad(v_seqs, dim).requires_grad_()
    k = pad(k_seqs, dim).requires_grad_() if with_key else v
    weights = {}
    scale = (rand(dim) * 0.9).requires_grad_()
    if use_scale:
        weights["scale"] = scale
        scores = (scale * torch.tanh(q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    else:
        scores = torch.tanh(q[:, :, None, :] + k[:, None, :, :]).sum(-1)
    probs = masked_softmax(scores, key_mask(vlen, Tk), causal)
    out = probs @ v
    config = {"useScale": use_scale, "dropout": 0.0}
    return finish(name, "AdditiveAttention", config, causal, qlen, vlen, q_seqs, v_seqs, k_seqs if with_key else None,
                  q, v, k if with_key else None, weights, out, probs, dim, score_grad, False)


def mha_case(name, qlen, vlen, cq, cv, heads, key_dim, ck=None, causal=False, output_shape=None, use_bias=True, self_attention=False):
    E = heads * key_dim
    out_dim = output_shape if output_shape is not None else cq
    assert out_dim == E, "torch's MultiheadAttention projects back to embed_dim"
    # torch wants query features == embed_dim; for cq != E the query projection is a leaf Kq [cq, E]
    # applied before torch's (then identity) query projection.
    fold_query = cq != E
    with_key = ck is not None
    ck = ck if with_key else cv
    if self_attention:
        vlen, cv, ck = qlen, cq, cq
    mha = torch.nn.MultiheadAttention(E, heads, bias=use_bias, kdim=ck, vdim=cv, batch_first=True).double()
    # torch uses separate q/k/v projections only when kdim/vdim differ from embed_dim; force it by
    # reading whichever it made.
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(rand(*p.shape) * 0.6)
    if mha._qkv_same_embed_dim:
        Wq, Wk, Wv = mha.in_proj_weight.chunk(3, 0)
    else:
        Wq, Wk, Wv = mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight
    Kq = None
    if fold_query:
        assert not mha._qkv_same_embed_dim
        with torch.no_grad():
            mha.q_proj_weight.copy_(torch.eye(E, dtype=DT))
        mha.q_proj_weight.requires_grad_(False)
        Kq = (rand(cq, E) * 0.6).requires_grad_()
    q_seqs = ragged(qlen, cq)
    v_seqs = q_seqs if self_attention else ragged(vlen, cv)
    k_seqs = ragged(vlen, ck) if with_key else v_seqs
    Tq, Tk = max(qlen), max(vlen)
    q = pad(q_seqs, cq).requires_grad_()
    v = q if self_attention else pad(v_seqs, cv).requires_grad_()
    k = pad(k_seqs, ck).requires_grad_() if with_key else v
    attn_mask = None
    if causal:
        attn_mask = ~torch.ones(Tq, Tk, dtype=torch.bool).tril()
    q_in = q @ Kq if fold_query else q
    out, probs = mha(q_in, k, v, key_padding_mask=~key_mask(vlen, Tk), attn_mask=attn_mask,
                     need_weights=True, average_attn_weights=False)
    # Keras layout (views on torch's parameters, so autograd gives their gradients)
    weights = {
        "query/kernel": (Kq.reshape(cq, heads, key_dim), None) if fold_query else (Wq.t().reshape(cq, heads, key_dim), Wq),
        "key/kernel": (Wk.t().reshape(ck, heads, key_dim), Wk),
        "value/kernel": (Wv.t().reshape(cv, heads, key_dim), Wv),
        "attention_output/kernel": (mha.out_proj.weight.t().reshape(heads, key_dim, E), mha.out_proj.weight),
    }
    order = ["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
             "attention_output/kernel", "attention_output/bias"]
    if use_bias:
        bq, bk, bv = mha.in_proj_bias.chunk(3, 0)
        weights["query/bias"] = (bq.reshape(heads, key_dim), None)
        weights["key/bias"] = (bk.reshape(heads, key_dim), None)
        weights["value/bias"] = (bv.reshape(heads, key_dim), None)
        weights["attention_output/bias"] = (mha.out_proj.bias, mha.out_proj.bias)
    else:
        order = [n for n in order if not n.endswith("bias")]
    config = {"numHeads": heads, "keyDim": key_dim, "valueDim": key_dim, "dropout": 0.0, "useBias": use_bias,
              "outputShape": [output_shape] if output_shape is not None else None}
    dOut = [rand(n, E) for n in qlen]
    loss = sum((out[b, :n] * dOut[b]).sum() for b, n in enumerate(qlen))
    loss.backward()
    # gradients in Keras layout
    wgrads = {}
    for n in order:
        if n.endswith("bias"):
            if n == "attention_output/bias":
                g = mha.out_proj.bias.grad
            else:
                g = mha.in_proj_bias.grad.chunk(3, 0)[["query/bias", "key/bias", "value/bias"].index(n)].reshape(heads, key_dim)
        else:
            shape = weights[n][0].shape
            if n == "query/kernel" and fold_query:
                g = Kq.grad.reshape(*shape)
            elif n == "attention_output/kernel":
                g = mha.out_proj.weight.grad.t().reshape(*shape)
            else:
                which = ["query/kernel", "key/kernel", "value/kernel"].index(n)
                if mha._qkv_same_embed_dim:
                    torch_grad = mha.in_proj_weight.grad.chunk(3, 0)[which]
                else:
                    torch_grad = [mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight][which].grad
                g = torch_grad.t().reshape(*shape)
        wgrads[n] = flat(g)
    case = {
        "name": name,
        "layer": "MultiHeadAttention",
        "config": config,
        "useCausalMask": causal,
        "selfAttention": self_attention,
        "inputs": {
            "query": [to_list(s) for s in q_seqs],
            "value": None if self_attention else [to_list(s) for s in v_seqs],
            "key": [to_list(s) for s in k_seqs] if with_key else None,
        },
        "weights": [{"name": n, "shape": list(weights[n][0].shape), "data": flat(weights[n][0].detach())} for n in order],
        "dOut": [to_list(g) for g in dOut],
        "output": unpad(out.detach(), qlen),
        "scores": [[to_list(probs[b, h, :lq, :lk].detach()) for h in range(heads)] for b, (lq, lk) in enumerate(zip(qlen, vlen))],
        "grads": {
            "query": unpad(q.grad, qlen),
            "value": None if self_attention else unpad(v.grad, vlen),
            "key": unpad(k.grad, vlen) if with_key else None,
            "weights": [wgrads[n] for n in order],
        },
    }
    return case


def finish(name, layer, config, causal, qlen, vlen, q_seqs, v_seqs, k_seqs, q, v, k, weights, out, probs, dim, score_grad, self_attention):
    dOut = [rand(n, dim) for n in qlen]
    loss = sum((out[b, :n] * dOut[b]).sum() for b, n in enumerate(qlen))
    dScores = None
    if score_grad:
        dScores = [rand(lq, lk) for lq, lk in zip(qlen, vlen)]
        loss = loss + sum((probs[b, :lq, :lk] * dScores[b]).sum() for b, (lq, lk) in enumerate(zip(qlen, vlen)))
    loss.backward()
    return {
        "name": name,
        "layer": layer,
        "config": config,
        "useCausalMask": causal,
        "selfAttention": self_attention,
        "inputs": {
            "query": [to_list(s) for s in q_seqs],
            "value": None if self_attention else [to_list(s) for s in v_seqs],
            "key": [to_list(s) for s in k_seqs] if k_seqs is not None else None,
        },
        "weights": [{"name": n, "shape": list(w.shape), "data": flat(w.detach())} for n, w in weights.items()],
        "dOut": [to_list(g) for g in dOut],
        "dScores": [to_list(g) for g in dScores] if dScores is not None else None,
        "output": unpad(out.detach(), qlen),
        "scores": [to_list(probs[b, :lq, :lk].detach()) for b, (lq, lk) in enumerate(zip(qlen, vlen))],
        "grads": {
            "query": unpad(q.grad, qlen),
            "value": None if self_attention else unpad(v.grad, vlen),
            "key": unpad(k.grad, vlen) if k is not None else None,
            "weights": [flat(w.grad) for w in weights.values()],
        },
    }


def main():
    cases = [
        luong_case("luong dot", [3, 1, 4], [5, 2, 3], 4, "dot", use_scale=False),
        luong_case("luong dot, useScale, with key", [2, 4, 1], [3, 1, 5], 3, "dot", use_scale=True, with_key=True),
        luong_case("luong dot, causal self-attention, score gradient", [4, 2, 3], None, 3, "dot", use_scale=True, causal=True, self_attention=True, score_grad=True),
        luong_case("luong concat", [3, 2], [4, 1], 5, "concat", use_scale=False),
        luong_case("luong concat, useScale, causal", [3, 4], [4, 2], 3, "concat", use_scale=True, causal=True),
        bahdanau_case("bahdanau", [3, 1, 2], [2, 4, 3], 4, use_scale=True),
        bahdanau_case("bahdanau, no scale, with key, score gradient", [2, 3], [3, 1], 3, use_scale=False, with_key=True, score_grad=True),
        mha_case("mha", [3, 1, 4], [2, 5, 3], cq=6, cv=5, heads=2, key_dim=3),
        mha_case("mha, with key, outputShape, causal", [3, 2], [4, 2], cq=4, cv=5, heads=3, key_dim=2, ck=3, causal=True, output_shape=6),
        mha_case("mha, self-attention, no bias", [2, 4, 1], None, cq=4, cv=4, heads=2, key_dim=2, use_bias=False, self_attention=True),
    ]
    doc = {
        "generator": "scripts/golden/attention.py",
        "torch": torch.__version__,
        "note": "Padded batches with masks in PyTorch (float64); ragged compares each sequence's real positions.",
        "cases": cases,
    }
    path = os.path.join("test", "golden", "attention.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
