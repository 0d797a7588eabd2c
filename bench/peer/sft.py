"""Cold-start SFT of the PyTorch peer (bench/peer/model.py) on examples dumped by scripts/sft-peer-parity.ts.

The recipe of portraitrl's `sft` (DESIGN §9): flow matching x_t = (1 − t)·x0 + t·x1 with the velocity
target x1 − x0, t = sigmoid(N(0, 1)) (logit-normal), batch B drawn uniformly with replacement,
torch.optim.AdamW (lr, betas 0.9/0.999, eps 1e-8, weight decay 0.01), linear warm-up then constant,
gradient norm clipped at 1. Two knobs the recipe does not use, for issue 25's probes: job["schedule"] = "cosine"
decays the lr after the warm-up along half a cosine to job["minLrFactor"]·lr at the last step, and job["ema"] = d > 0
keeps ema ← d·ema + (1 − d)·θ after every step (as portraitrl's sft does) and writes the EMA instead of the raw weights.
With job["editWeight"] = λ > 0 (issue 25's experiment; 0 is the recipe) each token
element the edit changes (|target − reference| > job["editThreshold"]) weighs 1 + λ in the squared error, and each
sample's error is divided by its total weight, so the loss keeps its scale. It starts from the weights jax-js starts from and writes the raw weights
as portraitrl's flat base vector every `every` steps, so portraitrl's own `eval` scores them.

Usage: python3 sft.py DUMP_DIR   (DUMP_DIR/job.json says the rest; one JSON line per save on stdout)
Never needed by the package or its tests.
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Model, load_weights  # noqa: E402


def flat_weights(model, spec, size, ema=None):
    state = model.state_dict()
    if ema is not None:
        names = {id(p): n for n, p in model.named_parameters()}
        state = {**state, **{names[id(p)]: e for p, e in zip(model.parameters(), ema)}}
    flat = np.zeros(size, dtype=np.float32)
    for name, shape, off in spec:
        flat[off : off + int(np.prod(shape))] = state[name].detach().numpy().reshape(-1)
    return flat


def learning_rate(job, step):
    lr, warmup, steps = job["lr"], job["warmup"], job["steps"]
    if step <= warmup:
        return lr * step / warmup
    if job.get("schedule", "constant") == "constant":
        return lr
    floor = job.get("minLrFactor", 0.1)
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * progress)))


def main():
    dump = sys.argv[1]
    job = json.load(open(os.path.join(dump, "job.json")))
    torch.set_num_threads(int(os.environ.get("PEER_THREADS", "2")))
    torch.manual_seed(job["seed"])
    c = job["config"]
    n, N, P, W = job["count"], job["tokens"], job["tokenDim"], c["textMaxWords"]
    ref = torch.from_numpy(np.fromfile(os.path.join(dump, "ref.f32"), dtype=np.float32).reshape(n, N, P))
    x0 = torch.from_numpy(np.fromfile(os.path.join(dump, "target.f32"), dtype=np.float32).reshape(n, N, P))
    ids = torch.from_numpy(np.fromfile(os.path.join(dump, "text.i32"), dtype=np.int32).reshape(n, W)).long()
    model = Model(c, job["vocabSize"])
    load_weights(model, job["spec"], os.path.join(dump, "init.f32"))
    opt = torch.optim.AdamW(model.parameters(), lr=job["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    g = torch.Generator().manual_seed(job["seed"])
    B, started = job["batch"], time.perf_counter()
    lam, thr = job.get("editWeight", 0.0), job.get("editThreshold", 0.1)
    decay = job.get("ema", 0.0)
    ema = [p.detach().clone() for p in model.parameters()] if decay > 0 else None
    for step in range(1, job["steps"] + 1):
        for group in opt.param_groups:
            group["lr"] = learning_rate(job, step)
        idx = torch.randint(0, n, (B,), generator=g)
        t = torch.sigmoid(torch.randn(B, generator=g))
        x1 = torch.randn(B, N, P, generator=g)
        tb = t[:, None, None]
        xt = (1 - tb) * x0[idx] + tb * x1
        err = (model(xt, t, ref[idx], ids[idx]) - (x1 - x0[idx])).pow(2)
        if lam > 0:
            w = 1 + lam * ((x0[idx] - ref[idx]).abs() > thr).float()
            loss = ((err * w).sum(dim=(1, 2)) / w.sum(dim=(1, 2))).mean()
        else:
            loss = err.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if ema is not None:
            with torch.no_grad():
                for e, p in zip(ema, model.parameters()):
                    e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        if step % job["every"] == 0:
            path = os.path.join(dump, f"step-{step}.f32")
            flat_weights(model, job["spec"], job["size"], ema).tofile(path)
            print(json.dumps({"step": step, "loss": loss.item(), "weights": path, "seconds": time.perf_counter() - started}), flush=True)


if __name__ == "__main__":
    main()
