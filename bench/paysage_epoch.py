"""Times Paysage's PCD-1 training epochs on MNIST for `npm run bench:peers` (bench/peers.ts).

Usage: python3 paysage_epoch.py <digits: raw little-endian float32, 784 per row> <hidden> <sgd|adam> <stepsize> <epochs> [batch size, 100]
Paysage is imported from PYTHONPATH, its backend chosen by that checkout's config.json.
Prints one JSON line: {"backend": ..., "seconds": [per-epoch training seconds]}.
"""
import contextlib
import io
import json
import re
import sys
import warnings

import numpy as np

# Paysage predates NumPy 2: restore the aliases it uses, without touching its code.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for alias, kind in (("float", float), ("int", int), ("bool", bool)):
        if not hasattr(np, alias):
            setattr(np, alias, kind)

from paysage import backends as be  # noqa: E402
from paysage import batch, fit, layers, optimizers, schedules  # noqa: E402
from paysage.backends.read_config import BACKEND  # noqa: E402
from paysage.models import BoltzmannMachine  # noqa: E402

images, hidden, optimizer, stepsize, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
batch_size = int(sys.argv[6]) if len(sys.argv) > 6 else 100
binary = np.fromfile(images, dtype="<f4").reshape(-1, 784)

be.set_seed(137)
data = batch.in_memory_batch(be.float_tensor(binary), batch_size, train_fraction=0.95)
rbm = BoltzmannMachine([layers.BernoulliLayer(784), layers.BernoulliLayer(hidden)])
rbm.initialize(data, method="glorot_normal")
sgd = fit.SGD(rbm, data)
sgd.monitor = None  # metrics off, as in Relief's timing
rate = schedules.Constant(initial=stepsize)
opt = optimizers.ADAM(stepsize=rate) if optimizer == "adam" else optimizers.Gradient(stepsize=rate)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    sgd.train(opt, epochs, method=fit.pcd, mcsteps=1, beta_std=0)
seconds = [float(s) for s in re.findall(r"Time elapsed ([0-9.eE+-]+)s", out.getvalue())]
print(json.dumps({"backend": BACKEND, "seconds": seconds}))
