#!/usr/bin/env python3
"""Trains the project's digits CNN on scikit-learn's 8x8 digits with plain NumPy (the same
split as train_digits.py), and writes what mcusim's generator reads:
  firmware/models/digits_cnn.npz    float32 weights: w0 [16,3,3,1], b0, w1 [32,3,3,16], b1, w2 [10,512], b2
  firmware/models/digits_cnn.json   the topology: conv 3x3 (16, SAME, ReLU) -> max pool 2x2 ->
                                    conv 3x3 (32, SAME, ReLU) -> flatten -> FC 512->10 -> softmax
The data file is firmware/models/digits_data.npz (train_digits.py). Deterministic (seeded).
Needs numpy and scikit-learn; the outputs are committed."""
import json

import numpy as np
from sklearn.datasets import load_digits

rng = np.random.RandomState(0)
digits = load_digits()
x = digits.data.astype(np.float32)
y = digits.target.astype(np.int64)
order = rng.permutation(len(x))
x, y = x[order], y[order]
split = 1437
scale = 1 / 16.0
xtr, ytr, xte, yte = x[:split] * scale, y[:split], x[split:] * scale, y[split:]
xtr = xtr.reshape(-1, 8, 8, 1)
xte = xte.reshape(-1, 8, 8, 1)


def im2col(a):
    """[N, H, W, C] -> [N, H, W, 9C] patches of a 3x3 SAME convolution, (ky, kx, c) order (OHWI)."""
    n, h, w, c = a.shape
    p = np.pad(a, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return np.concatenate([p[:, ky:ky + h, kx:kx + w, :] for ky in range(3) for kx in range(3)], axis=3)


def col2im(g, c):
    """The adjoint of im2col: [N, H, W, 9C] gradients back onto [N, H, W, C]."""
    n, h, w, _ = g.shape
    p = np.zeros((n, h + 2, w + 2, c), np.float32)
    k = 0
    for ky in range(3):
        for kx in range(3):
            p[:, ky:ky + h, kx:kx + w, :] += g[:, :, :, k * c:(k + 1) * c]
            k += 1
    return p[:, 1:-1, 1:-1, :]


def he(shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(np.float32)


params = {"w0": he((16, 3, 3, 1), 9), "b0": np.zeros(16, np.float32),
          "w1": he((32, 3, 3, 16), 144), "b1": np.zeros(32, np.float32),
          "w2": he((10, 512), 512), "b2": np.zeros(10, np.float32)}


def forward(xb):
    c0 = im2col(xb)                                            # [N,8,8,9]
    z0 = c0 @ params["w0"].reshape(16, -1).T + params["b0"]    # [N,8,8,16]
    a0 = np.maximum(z0, 0)
    n = len(xb)
    r = a0.reshape(n, 4, 2, 4, 2, 16)
    pool = r.max(axis=(2, 4))                                  # [N,4,4,16]
    c1 = im2col(pool)                                          # [N,4,4,144]
    z1 = c1 @ params["w1"].reshape(32, -1).T + params["b1"]
    a1 = np.maximum(z1, 0)                                     # [N,4,4,32]
    f = a1.reshape(n, -1)                                      # NHWC flatten, as RESHAPE does
    logits = f @ params["w2"].T + params["b2"]
    return logits, (c0, z0, a0, r, pool, c1, z1, f)


def accuracy(xs, ys):
    return float((forward(xs)[0].argmax(1) == ys).mean())


m = {k: np.zeros_like(v) for k, v in params.items()}
v = {k: np.zeros_like(v) for k, v in params.items()}
step = 0
for epoch in range(40):
    perm = rng.permutation(len(xtr))
    for s in range(0, len(xtr), 64):
        idx = perm[s:s + 64]
        xb, yb = xtr[idx], ytr[idx]
        n = len(xb)
        logits, (c0, z0, a0, r, pool, c1, z1, f) = forward(xb)
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = p
        g[np.arange(n), yb] -= 1
        g /= n
        grads = {"w2": g.T @ f, "b2": g.sum(0)}
        gf = (g @ params["w2"]).reshape(n, 4, 4, 32) * (z1 > 0)
        grads["w1"] = (gf.reshape(-1, 32).T @ c1.reshape(-1, 144)).reshape(32, 3, 3, 16)
        grads["b1"] = gf.sum((0, 1, 2))
        gpool = col2im(gf @ params["w1"].reshape(32, -1), 16)  # [N,4,4,16]
        mask = (r == pool[:, :, None, :, None, :])              # max-pool routing (ties share)
        ga0 = (mask * gpool[:, :, None, :, None, :]).reshape(n, 8, 8, 16) * (z0 > 0)
        grads["w0"] = (ga0.reshape(-1, 16).T @ c0.reshape(-1, 9)).reshape(16, 3, 3, 1)
        grads["b0"] = ga0.sum((0, 1, 2))
        step += 1
        for k in params:
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
            params[k] -= 0.003 * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)

print("train accuracy %.4f, test accuracy %.4f" % (accuracy(xtr, ytr), accuracy(xte, yte)))
np.savez("firmware/models/digits_cnn.npz", **{k: val.astype(np.float32) for k, val in params.items()})
json.dump({"name": "digits_cnn", "input": {"shape": [1, 8, 8, 1], "scale": scale},
           "layers": [{"op": "CONV_2D", "weights": "w0", "bias": "b0", "stride": [1, 1], "padding": "SAME", "activation": "RELU"},
                      {"op": "MAX_POOL_2D", "filter": [2, 2], "stride": [2, 2], "padding": "VALID"},
                      {"op": "CONV_2D", "weights": "w1", "bias": "b1", "stride": [1, 1], "padding": "SAME", "activation": "RELU"},
                      {"op": "RESHAPE"},
                      {"op": "FULLY_CONNECTED", "weights": "w2", "bias": "b2", "activation": "NONE"},
                      {"op": "SOFTMAX"}]},
          open("firmware/models/digits_cnn.json", "w"), indent=2)
