"""cytoolz for a machine that has only toolz: bench/gpu/run.sh puts this folder on PYTHONPATH
when `import cytoolz` fails and `import toolz` works. cytoolz is toolz's Cython build with the
same functions; Paysage takes only `identity` and `partial` (functools.partial) from it."""
from functools import partial, reduce  # noqa: F401

from toolz import *  # noqa: F401,F403
