#!/usr/bin/env python3
"""Trains the project's digits MLP (64-32-10, ReLU, softmax) on scikit-learn's bundled 8x8
digits with plain NumPy, and writes what mcusim's generator reads:
  firmware/models/digits_mlp.npz    float32 weights (w0 [32,64], b0, w1 [10,32], b1)
  firmware/models/digits_mlp.json   the topology
  firmware/models/digits_data.npz   training, calibration and test images (uint8 pixels 0-16),
                                    labels, and input_scale (1/16)
Deterministic (seeded). Needs numpy and scikit-learn; the outputs are committed, so the
project's build and tests do not need scikit-learn."""
import json

import numpy as np
from sklearn.datasets import load_digits

rng = np.random.RandomState(0)
digits = load_digits()
x = digits.data.astype(np.float32)          # 0..16
y = digits.target.astype(np.int64)
order = rng.permutation(len(x))
x, y = x[order], y[order]
split = 1437                                  # 80 % train, 20 % test
xtr, ytr, xte, yte = x[:split], y[:split], x[split:], y[split:]

w0 = (rng.standard_normal((32, 64)) * np.sqrt(2 / 64)).astype(np.float32)
b0 = np.zeros(32, np.float32)
w1 = (rng.standard_normal((10, 32)) * np.sqrt(2 / 32)).astype(np.float32)
b1 = np.zeros(10, np.float32)
scale = 1 / 16.0                              # inputs are fed as pixels / 16
for epoch in range(300):
    h = np.maximum(0, (xtr * scale) @ w0.T + b0)
    logits = h @ w1.T + b1
    p = np.exp(logits - logits.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    g = p.copy(); g[np.arange(len(ytr)), ytr] -= 1; g /= len(ytr)
    gw1 = g.T @ h; gb1 = g.sum(0)
    gh = g @ w1; gh[h <= 0] = 0
    gw0 = gh.T @ (xtr * scale); gb0 = gh.sum(0)
    lr = 0.5
    w0 -= lr * gw0; b0 -= lr * gb0; w1 -= lr * gw1; b1 -= lr * gb1

def accuracy(xs, ys):
    h = np.maximum(0, (xs * scale) @ w0.T + b0)
    return float(((h @ w1.T + b1).argmax(1) == ys).mean())

print("train accuracy %.4f, test accuracy %.4f" % (accuracy(xtr, ytr), accuracy(xte, yte)))
# The model's input is pixels / 16 (float), as trained.
np.savez("firmware/models/digits_mlp.npz", w0=w0, b0=b0, w1=w1, b1=b1)
json.dump({"name": "digits_mlp", "input": {"shape": [1, 64], "scale": scale},
           "layers": [{"op": "FULLY_CONNECTED", "weights": "w0", "bias": "b0", "activation": "RELU"},
                      {"op": "FULLY_CONNECTED", "weights": "w1", "bias": "b1", "activation": "NONE"},
                      {"op": "SOFTMAX"}]},
          open("firmware/models/digits_mlp.json", "w"), indent=2)
# The data file `--data` reads: training split (for mcusim's trainer), calibration images,
# test split, and the scale from pixels to model inputs.
np.savez("firmware/models/digits_data.npz", calibration=xtr[:200].astype(np.uint8),
         test_x=xte.astype(np.uint8), test_y=yte.astype(np.uint8),
         train_x=xtr.astype(np.uint8), train_y=ytr.astype(np.uint8), input_scale=np.array([scale], np.float32))
