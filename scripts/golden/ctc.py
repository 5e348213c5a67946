"""Golden values for ragged's CTC loss: PyTorch's nn.CTCLoss, run offline, written to test/golden/ctc.json.

    /usr/bin/python3 scripts/golden/ctc.py      # Debian's python3-torch; CI does not need it

Each case is one sample: predictions [T, K] (float32 values, stored exactly), a label sequence and a
blank index, in two forms:
  - "logits": the loss of log_softmax(z), gradient d loss / d z;
  - "probabilities": the loss of log(p + 1e-7) with p = softmax(z) rounded to float32, gradient
    d loss / d p (what ragged's ctc computes without fromLogits, as Keras 2's ctc_batch_cost did).
PyTorch computes in float64 here (inputs converted from their float32 values), reduction="none", so
"loss" is −log p(labels | x) of the sample; "loss_zero_infinity" is the same with zero_infinity=True.
Impossible cases store loss null (Infinity) and the zero_infinity gradient (all zeros).
"""
import json
import os

import torch

torch.manual_seed(11)

# (name, T, K, blank, labels)
CASES = [
    ("repeats", 6, 4, 0, [1, 1, 2]),
    ("repeats_need_blank_exact", 3, 3, 0, [1, 1]),
    ("blanks_between", 7, 5, 0, [2, 3, 2]),
    ("length_one_label", 4, 4, 0, [3]),
    ("label_length_equals_input_length", 3, 4, 0, [1, 2, 3]),
    ("single_step", 1, 3, 0, [2]),
    ("empty_label", 3, 4, 0, []),
    ("impossible_too_long", 3, 5, 0, [1, 2, 3, 4]),
    ("impossible_repeat", 2, 3, 0, [1, 1]),
    ("blank_last", 5, 4, 3, [0, 2, 0]),
    ("blank_middle", 6, 5, 2, [1, 3, 3, 4]),
    ("long_random", 20, 6, 0, [1, 4, 4, 2, 5, 1, 3, 3]),
    ("long_many_classes", 16, 40, 0, [20, 2, 31, 31, 7, 12, 30]),
]


def ctc_nll(log_probs, labels, blank, zero_infinity):
    T = log_probs.shape[0]
    loss_fn = torch.nn.CTCLoss(blank=blank, reduction="none", zero_infinity=zero_infinity)
    target = torch.tensor([labels if labels else [0]], dtype=torch.long)  # a dummy label when empty (length 0)
    return loss_fn(log_probs.unsqueeze(1), target, torch.tensor([T]), torch.tensor([len(labels)]))


def run_case(z32, labels, blank, form, zero_infinity):
    z = z32.to(torch.float64)
    if form == "logits":
        x = z.clone().requires_grad_(True)
        loss = ctc_nll(torch.log_softmax(x, dim=-1), labels, blank, zero_infinity)
        loss.sum().backward()
        return x.detach(), loss.item(), x.grad
    # Probabilities. PyTorch's CTC backward returns, for its log_probs input, exp(log_probs) - gamma
    # (aten/src/ATen/native/LossCTC.cpp: "res = (lp.exp() - (lcab + nll - lp).exp()) * gr"): the
    # gradient *through a log_softmax that it assumes produced log_probs*. That is exact for the
    # logits form above; here log_probs = log(p + eps) is not normalised, so the true gradient
    # d(nll)/d(log_probs) = -gamma is PyTorch's minus exp(log_probs). We take PyTorch's gradient at
    # a leaf log_probs, subtract exp(log_probs), and chain through log(p + eps) by hand.
    p = torch.softmax(z32, dim=-1).to(torch.float64)  # float32 probabilities, as a softmax layer gives
    log_probs = torch.log(p + 1e-7).requires_grad_(True)
    loss = ctc_nll(log_probs, labels, blank, zero_infinity)
    loss.sum().backward()
    feasible = bool(torch.isfinite(ctc_nll(log_probs.detach(), labels, blank, False)).all())
    d_log_probs = log_probs.grad - log_probs.detach().exp() if feasible else torch.zeros_like(p)
    if feasible:  # occupancies of one step sum to 1
        assert torch.allclose(d_log_probs.sum(dim=-1), -torch.ones(p.shape[0], dtype=torch.float64), atol=1e-9)
    return p, loss.item(), d_log_probs / (p + 1e-7)


def main():
    out = {"script": "scripts/golden/ctc.py", "torch": torch.__version__, "cases": []}
    for name, T, K, blank, labels in CASES:
        z32 = (torch.randn(T, K) * 2).to(torch.float32)
        for form in ["logits", "probabilities"]:
            pred, loss, _ = run_case(z32, labels, blank, form, zero_infinity=False)
            _, loss_zi, grad_zi = run_case(z32, labels, blank, form, zero_infinity=True)
            finite = loss != float("inf")
            if finite:
                _, _, grad = run_case(z32, labels, blank, form, zero_infinity=False)
            else:
                grad = grad_zi
            out["cases"].append(
                {
                    "name": f"{name}/{form}",
                    "T": T,
                    "K": K,
                    "blank": blank,
                    "labels": labels,
                    "fromLogits": form == "logits",
                    "pred": pred.tolist(),
                    "loss": loss if finite else None,
                    "loss_zero_infinity": loss_zi,
                    "grad": grad.tolist(),
                }
            )
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "ctc.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
