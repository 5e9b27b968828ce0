// PyDeep's "ICA on a 2D example": two independent Laplacian sources mixed linearly, whitened by
// ZCA, unmixed by natural-gradient ICA (Laplacian and logistic priors) and by FastICA. Each
// estimated mixing matrix is compared with the true one by the Amari distance (0 when they
// agree up to permutation and scale of the sources).
// Run: npx tsx examples/ica-2d.ts
import { backends, batch, components } from 'relief';

const { be } = backends;
await backends.use('cpu');
backends.setSeed(42);

const rows = 50_000;
// The mixing M (2, 2): row j is source j's direction, and x = s M (PyDeep's mixing_matrix.T).
const trueMixing = be.tensor([2, 1, 1, -0.7], [2, 2]);
const data = be.tidy(() => {
  // Unit-scale Laplacian draws: a random sign times an exponential draw −ln(1 − u), u uniform on [0, 1).
  const signs = be.sign(be.sub(be.randomUniform([rows, 2]), 0.5));
  const sources = be.mul(signs, be.neg(be.log(be.sub(1, be.randomUniform([rows, 2])))));
  return be.matmul(sources, trueMixing);
});
const host: batch.HostMatrix = { rows, columns: 2, values: await be.read(data) };

const zca = await batch.Preprocessing.fit([{ type: 'zca' }], host);
const whitened = await zca.transform(host);
const whitenedRows = be.tensor(whitened.values, [rows, 2]);

const runs = [
  { algorithm: 'naturalGradient', prior: 'laplace' },
  { algorithm: 'naturalGradient', prior: 'logistic' },
  { algorithm: 'fastICA', prior: 'logistic' },
] as const;
for (const { algorithm, prior } of runs) {
  const ica = await components.ICA.fit(whitenedRows, { algorithm, prior });
  const estimated = await ica.mixingInDataSpace(zca);
  const distance = await components.amariDistance(estimated, trueMixing);
  const logLikelihood = be.mean(ica.logLikelihood(whitenedRows));
  const [meanLogLikelihood] = await be.read(logLikelihood);
  console.log(
    `${algorithm.padEnd(15)} ${prior.padEnd(8)} Amari distance ${distance.toFixed(4)}, mean log-likelihood of the whitened data ${meanLogLikelihood?.toFixed(4)}`,
  );
  const directions = Array.from(await be.read(estimated), (v) => v.toFixed(3));
  console.log(`  sources' directions (rows): [${directions.slice(0, 2)}], [${directions.slice(2)}]`);
  be.dispose([estimated, logLikelihood]);
  ica.dispose();
}
be.dispose([trueMixing, data, whitenedRows]);
