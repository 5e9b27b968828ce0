"""Times one CD-1 epoch of a convolutional RBM in PyTorch-CPU for `npm run bench:conv` (bench/conv.ts).

The same model and step as examples/conv-rbm.ts, written from the formulas (Learnergy's ConvRBM
trains this way): conv2d up, conv_transpose2d down, the filter gradient as conv2d's weight
gradient, one bias per channel and per filter.
Usage: python3 torch_conv_epoch.py <digits: raw little-endian float32 0/1, 784 per row> <filters> <kernel> <threads>
Prints one JSON line: {"seconds": training seconds}.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

path, filters, kernel, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
digits = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(-1, 1, 28, 28))
W = torch.randn(filters, 1, kernel, kernel) * 0.01
a, b = torch.zeros(1), torch.zeros(filters)
rate, batch = 0.005, 100
start = time.perf_counter()
for i in range(0, digits.shape[0], batch):
    v = digits[i : i + batch]
    ph = torch.sigmoid(F.conv2d(v, W, bias=b))
    pv = torch.sigmoid(F.conv_transpose2d(torch.bernoulli(ph), W, bias=a))
    vn = torch.bernoulli(pv)
    phn = torch.sigmoid(F.conv2d(vn, W, bias=b))
    grad = torch.nn.grad.conv2d_weight(v, W.shape, ph) - torch.nn.grad.conv2d_weight(vn, W.shape, phn)
    W += rate * grad / v.shape[0]
    b += rate * (ph.sum((0, 2, 3)) - phn.sum((0, 2, 3))) / v.shape[0]
    a += rate * (v.sum() - vn.sum()) / v.shape[0]
print(json.dumps({"seconds": time.perf_counter() - start}))
