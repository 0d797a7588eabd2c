"""PyTorch peer of portraitrl's editing model (src/model), for bench/model.ts.

The same Kontext-style MMDiT written the way diffusers' FluxTransformer2DModel writes it: separate
to_q / to_k / to_v / proj_mlp Linears, pair-wise RoPE, plain softmax attention, GELU (tanh), adaLN with
gated residuals, QK-RMSNorm; the built-in text encoder (slot queries over word embeddings). The config
and the weights come from the TypeScript side (the flat base vector and its spec), so both run the
same model with the same numbers. The train step is flow matching + clip_grad_norm_ + torch.optim.AdamW.

Protocol (one JSON object per line on stdin, one answer per line on stdout):
  {"op": "init", "config": {...}, "vocabSize": V, "spec": [[name, shape, offset], ...], "weights": PATH, "batch": B}
  {"op": "check", "inputs": {name: [PATH, shape, dtype]}, "out": PATH}   one forward, written to `out`
  {"op": "forward", "reps": n} / {"op": "train", "reps": n}   -> {"ms": [...]}, after 2 untimed calls the first time
Never needed by the package or its tests.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def layer_norm(x):
    return F.layer_norm(x, x.shape[-1:], eps=1e-6)


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class MlpEmbedder(nn.Module):
    def __init__(self, inf, hidden):
        super().__init__()
        self.linear_1 = nn.Linear(inf, hidden)
        self.linear_2 = nn.Linear(hidden, hidden)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class TimeTextEmbed(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden"]
        self.timestep_embedder = MlpEmbedder(c["timestepDim"], H)
        self.guidance_embedder = MlpEmbedder(c["timestepDim"], H)
        self.text_embedder = MlpEmbedder(c["pooledDim"], H)


class Attention(nn.Module):
    def __init__(self, H, hd, context):
        super().__init__()
        self.to_q, self.to_k, self.to_v = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.norm_q, self.norm_k = RMSNorm(hd), RMSNorm(hd)
        if context:
            self.add_q_proj, self.add_k_proj, self.add_v_proj = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
            self.norm_added_q, self.norm_added_k = RMSNorm(hd), RMSNorm(hd)
            self.to_out = nn.ModuleList([nn.Linear(H, H)])
            self.to_add_out = nn.Linear(H, H)


class FeedForward(nn.Module):
    def __init__(self, H, M):
        super().__init__()
        self.net = nn.ModuleList([nn.Module(), nn.Identity(), nn.Linear(M, H)])
        self.net[0].proj = nn.Linear(H, M)

    def forward(self, x):
        return self.net[2](F.gelu(self.net[0].proj(x), approximate="tanh"))


class AdaNorm(nn.Module):
    def __init__(self, H, k):
        super().__init__()
        self.linear = nn.Linear(H, k * H)
        self.k = k

    def forward(self, vec_act):
        return self.linear(vec_act).unsqueeze(1).chunk(self.k, dim=-1)


def rope(x, cos, sin):
    """x [B, H, T, hd]; rotates each pair (x2i, x2i+1) by its angle."""
    pairs = x.unflatten(-1, (-1, 2))
    rotated = torch.stack([-pairs[..., 1], pairs[..., 0]], dim=-1).flatten(-2)
    return x * cos + rotated * sin


def attention(q, k, v, cos, sin):
    q, k = rope(q, cos, sin), rope(k, cos, sin)
    probs = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    B, H, T, hd = q.shape
    return (probs @ v).transpose(1, 2).reshape(B, T, H * hd)


class Model(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.c = c
        H, heads, M = c["hidden"], c["heads"], int(c["hidden"] * c["mlpRatio"])
        hd = H // heads
        self.heads, self.hd = heads, hd
        side = c["imageSize"] // c["latentDownsample"] // c["patchSize"]
        self.N = side * side
        P = c["patchSize"] ** 2 * c["latentChannels"]
        D = c["jointAttentionDim"]
        self.x_embedder = nn.Linear(P, H)
        self.context_embedder = nn.Linear(D, H)
        self.time_text_embed = TimeTextEmbed(c)
        self.transformer_blocks = nn.ModuleList()
        for _ in range(c["doubleBlocks"]):
            b = nn.Module()
            b.norm1, b.norm1_context = AdaNorm(H, 6), AdaNorm(H, 6)
            b.attn = Attention(H, hd, True)
            b.ff, b.ff_context = FeedForward(H, M), FeedForward(H, M)
            self.transformer_blocks.append(b)
        self.single_transformer_blocks = nn.ModuleList()
        for _ in range(c["singleBlocks"]):
            b = nn.Module()
            b.norm = AdaNorm(H, 3)
            b.proj_mlp = nn.Linear(H, M)
            b.proj_out = nn.Linear(H + M, H)
            b.attn = Attention(H, hd, False)
            self.single_transformer_blocks.append(b)
        self.norm_out = AdaNorm(H, 2)
        self.proj_out = nn.Linear(H, P)
        self.text_encoder = nn.Module()
        self.text_encoder.token_embedding = nn.Embedding(vocab, D)
        self.text_encoder.position_embedding = nn.Embedding(c["textMaxWords"], D)
        self.text_encoder.slot_queries = nn.Embedding(c["textSlots"], D)
        self.text_encoder.pooled_proj = nn.Linear(D, c["pooledDim"])
        cos, sin = rope_tables(c, side, hd)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        half = c["timestepDim"] // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half))

    def sinusoid(self, x):
        arg = (x * 1000)[:, None] * self.freqs[None]
        return torch.cat([torch.cos(arg), torch.sin(arg)], -1)

    def encode_text(self, ids):
        te = self.text_encoder
        D = self.c["jointAttentionDim"]
        mask = (ids != 0).float()
        h = te.token_embedding(ids) + te.position_embedding.weight
        scores = (h @ te.slot_queries.weight.t()) / math.sqrt(D)
        scores = scores.masked_fill(mask[..., None] == 0, float("-inf"))
        a = torch.nan_to_num(torch.softmax(scores, dim=1))
        seq = a.transpose(1, 2) @ h
        mean = (h * mask[..., None]).sum(1) / (mask.sum(1, keepdim=True) + 1e-6)
        return seq, te.pooled_proj(mean)

    def qkv(self, x, to_q, to_k, to_v, norm_q, norm_k):
        B, T, _ = x.shape
        heads = lambda y: y.view(B, T, self.heads, self.hd).transpose(1, 2)
        return norm_q(heads(to_q(x))), norm_k(heads(to_k(x))), heads(to_v(x))

    def double_block(self, b, txt, img, vec_act):
        sh1, sc1, g1, sh2, sc2, g2 = b.norm1(vec_act)
        csh1, csc1, cg1, csh2, csc2, cg2 = b.norm1_context(vec_act)
        a = b.attn
        qi, ki, vi = self.qkv(modulate(layer_norm(img), sh1, sc1), a.to_q, a.to_k, a.to_v, a.norm_q, a.norm_k)
        qt, kt, vt = self.qkv(modulate(layer_norm(txt), csh1, csc1), a.add_q_proj, a.add_k_proj, a.add_v_proj, a.norm_added_q, a.norm_added_k)
        cat = lambda t, m: torch.cat([t, m], 2)
        out = attention(cat(qt, qi), cat(kt, ki), cat(vt, vi), self.cos, self.sin)
        S = txt.shape[1]
        img = img + g1 * a.to_out[0](out[:, S:])
        txt = txt + cg1 * a.to_add_out(out[:, :S])
        img = img + g2 * b.ff(modulate(layer_norm(img), sh2, sc2))
        txt = txt + cg2 * b.ff_context(modulate(layer_norm(txt), csh2, csc2))
        return txt, img

    def single_block(self, b, x, vec_act):
        sh, sc, g = b.norm(vec_act)
        xn = modulate(layer_norm(x), sh, sc)
        a = b.attn
        out = attention(*self.qkv(xn, a.to_q, a.to_k, a.to_v, a.norm_q, a.norm_k), self.cos, self.sin)
        mlp = F.gelu(b.proj_mlp(xn), approximate="tanh")
        return x + g * b.proj_out(torch.cat([out, mlp], -1))

    def forward(self, xt, t, ref, ids):
        B = xt.shape[0]
        seq, pooled = self.encode_text(ids)
        tte = self.time_text_embed
        guidance = torch.full((B,), self.c["defaultGuidance"])
        vec = tte.timestep_embedder(self.sinusoid(t)) + tte.guidance_embedder(self.sinusoid(guidance)) + tte.text_embedder(pooled)
        vec_act = F.silu(vec)
        img = self.x_embedder(torch.cat([xt, ref], 1))
        txt = self.context_embedder(seq)
        for b in self.transformer_blocks:
            txt, img = self.double_block(b, txt, img, vec_act)
        x = torch.cat([txt, img], 1)
        for b in self.single_transformer_blocks:
            x = self.single_block(b, x, vec_act)
        S = self.c["textSlots"]
        target = x[:, S : S + self.N]
        scale, shift = self.norm_out(vec_act)
        return self.proj_out(modulate(layer_norm(target), shift, scale))


def rope_tables(c, side, hd):
    ids = [[0, 0, 0]] * c["textSlots"] + [[i, h, w] for i in (0, 1) for h in range(side) for w in range(side)]
    pos = torch.tensor(ids, dtype=torch.float64)
    angles = []
    for axis, d in enumerate(c["ropeAxes"]):
        omega = c["ropeTheta"] ** (-2 * torch.arange(d // 2, dtype=torch.float64) / d)
        angles.append(pos[:, axis : axis + 1] * omega[None])
    angle = torch.cat(angles, -1).repeat_interleave(2, -1)
    return torch.cos(angle).float(), torch.sin(angle).float()


def load_weights(model, spec, path):
    flat = torch.from_numpy(np.fromfile(path, dtype=np.float32))
    state = {name: flat[off : off + int(np.prod(shape))].view(shape) for name, shape, off in spec}
    own = model.state_dict()
    for name in own:
        if name in ("cos", "sin", "freqs"):
            continue
        if name not in state:
            raise KeyError(f"peer: parameter {name} is not in the spec")
        own[name].copy_(state[name].view(own[name].shape))


class Peer:
    def __init__(self, msg):
        torch.manual_seed(0)
        c = msg["config"]
        self.c = c
        vocab = msg["vocabSize"]
        self.model = Model(c, vocab)
        load_weights(self.model, msg["spec"], msg["weights"])
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
        B, N = msg["batch"], self.model.N
        P = c["patchSize"] ** 2 * c["latentChannels"]
        g = torch.Generator().manual_seed(0)
        self.batch = dict(
            x0=0.5 * torch.randn(B, N, P, generator=g),
            x1=torch.randn(B, N, P, generator=g),
            ref=0.5 * torch.randn(B, N, P, generator=g),
            t=torch.rand(B, generator=g),
            ids=torch.randint(2, vocab, (B, c["textMaxWords"]), generator=g),
        )
        self.batch["ids"][:, c["textMaxWords"] // 2 :] = 0

    def forward(self):
        b = self.batch
        with torch.no_grad():
            return self.model(b["x0"], b["t"], b["ref"], b["ids"])

    def train(self):
        b = self.batch
        tb = b["t"][:, None, None]
        xt = b["x0"] * (1 - tb) + b["x1"] * tb
        loss = (self.model(xt, b["t"], b["ref"], b["ids"]) - (b["x1"] - b["x0"])).pow(2).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        return loss.item()

    def check(self, msg):
        arrays = {k: torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape)) for k, (path, shape, dtype) in msg["inputs"].items()}
        with torch.no_grad():
            v = self.model(arrays["xt"], arrays["t"], arrays["ref"], arrays["ids"].long())
        v.numpy().astype(np.float32).tofile(msg["out"])


def timed(f, reps):
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def main():
    torch.set_num_threads(int(os.environ.get("PEER_THREADS", "2")))
    peer = None
    warm = set()
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0]}), flush=True)
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg["op"]
        if op == "init":
            peer = Peer(msg)
            reply = {"ok": True}
        elif op == "check":
            peer.check(msg)
            reply = {"ok": True}
        elif op in ("forward", "train"):
            f = getattr(peer, op)
            if op not in warm:
                f()
                f()
                warm.add(op)
            reply = {"ms": timed(f, msg["reps"])}
        else:
            reply = {"error": f"unknown op {op}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
