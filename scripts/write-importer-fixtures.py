"""Writes the fixtures of tests/importers: small models saved by PyDeep and Learnergy themselves.

Each model is built with the peer's own class (random parameters, and for PyDeep random
centering offsets), saved with the peer's own save function, and described in a JSON file
beside it: the parameters, a few visible rows, and the peer's own unnormalized log-probability
(PyDeep's `unnormalized_log_probability_v`) or free energy (Learnergy's `energy`) of each row.

Usage (the peers are cloned outside the repository):
    PYDEEP_DIR=/tmp/pydeep LEARNERGY_DIR=/tmp/learnergy \
        python3 scripts/write-importer-fixtures.py [tests/fixtures/importers]

Needs numpy, scipy and requests (PyDeep), torch and tqdm (Learnergy).
"""

import json
import os
import sys
import tempfile

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join('tests', 'fixtures', 'importers'))
NUM_VISIBLE = 6
NUM_HIDDEN = 4
NUM_ROWS = 5


def peer_path(variable):
    directory = os.environ.get(variable)
    if not directory or not os.path.isdir(directory):
        sys.exit(f'{variable}: expected the directory of a clone of the peer, got {directory!r}')
    sys.path.insert(0, directory)


def write_json(name, value):
    with open(os.path.join(OUT, name), 'w') as file:
        json.dump(value, file, indent=1)
        file.write('\n')


def matrix(array):
    return [[float(x) for x in row] for row in array]


def pydeep_fixtures(numpy):
    import pydeep.misc.io as io
    import pydeep.rbm.model as model

    random = numpy.random.RandomState(7)
    binary_rows = (random.rand(NUM_ROWS, NUM_VISIBLE) > 0.5).astype(numpy.float64)
    real_rows = random.randn(NUM_ROWS, NUM_VISIBLE)
    kinds = [
        ('pydeep-binary-binary', model.BinaryBinaryRBM, binary_rows, {}),
        ('pydeep-gaussian-binary', model.GaussianBinaryRBM, real_rows,
         {'initial_sigma': 0.5 + random.rand(1, NUM_VISIBLE)}),
        ('pydeep-gaussian-binary-variance', model.GaussianBinaryVarianceRBM, real_rows,
         {'initial_sigma': 0.5 + random.rand(1, NUM_VISIBLE)}),
    ]
    for name, kind, rows, extra in kinds:
        rbm = kind(NUM_VISIBLE, NUM_HIDDEN,
                   initial_weights=random.randn(NUM_VISIBLE, NUM_HIDDEN) * 0.5,
                   initial_visible_bias=random.randn(1, NUM_VISIBLE) * 0.3,
                   initial_hidden_bias=random.randn(1, NUM_HIDDEN) * 0.3,
                   initial_visible_offsets=random.rand(1, NUM_VISIBLE),
                   initial_hidden_offsets=random.rand(1, NUM_HIDDEN),
                   **extra)
        io.save_object(rbm, os.path.join(OUT, name + '.pickle.gz'), info=False)
        parameters = {'w': matrix(rbm.w), 'bv': matrix(rbm.bv), 'bh': matrix(rbm.bh),
                      'ov': matrix(rbm.ov), 'oh': matrix(rbm.oh)}
        if hasattr(rbm, 'sigma'):
            parameters['sigma'] = matrix(rbm.sigma)
        write_json(name + '.json', {
            'peer': 'pydeep', 'className': type(rbm).__name__, 'parameters': parameters,
            'visible': matrix(rows),
            'unnormalizedLogProbability': [float(x) for x in rbm.unnormalized_log_probability_v(rows).ravel()],
        })


def learnergy_fixtures():
    import torch
    from learnergy.models.bernoulli import RBM, DropoutRBM
    from learnergy.models.gaussian import GaussianRBM

    torch.manual_seed(7)
    binary_rows = (torch.rand(NUM_ROWS, NUM_VISIBLE) > 0.5).float()
    real_rows = torch.randn(NUM_ROWS, NUM_VISIBLE)
    kinds = [('learnergy-rbm', RBM, binary_rows), ('learnergy-dropout-rbm', DropoutRBM, binary_rows),
             ('learnergy-gaussian-rbm', GaussianRBM, real_rows)]
    for name, kind, rows in kinds:
        rbm = kind(n_visible=NUM_VISIBLE, n_hidden=NUM_HIDDEN)
        with torch.no_grad():
            rbm.W.copy_(torch.randn(NUM_VISIBLE, NUM_HIDDEN) * 0.5)
            rbm.a.copy_(torch.randn(NUM_VISIBLE) * 0.3)
            rbm.b.copy_(torch.randn(NUM_HIDDEN) * 0.3)
            free_energy = rbm.energy(rows)
        torch.save(rbm, os.path.join(OUT, name + '.pth'))
        write_json(name + '.json', {
            'peer': 'learnergy', 'className': type(rbm).__name__,
            'parameters': {'W': matrix(rbm.W.detach()), 'a': [float(x) for x in rbm.a.detach()],
                           'b': [float(x) for x in rbm.b.detach()]},
            'visible': matrix(rows),
            'freeEnergy': [float(x) for x in free_energy],
        })


def main():
    import numpy
    os.makedirs(OUT, exist_ok=True)
    peer_path('PYDEEP_DIR')
    peer_path('LEARNERGY_DIR')
    os.chdir(tempfile.mkdtemp())  # Learnergy writes its log file into the working directory
    pydeep_fixtures(numpy)
    learnergy_fixtures()


if __name__ == '__main__':
    main()
