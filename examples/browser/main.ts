/**
 * The browser page: an RBM trains on a bundled MNIST subset on WebGPU when the browser has it,
 * else on the cpu backend, drawing its filters, fantasy particles and learning curve after
 * every epoch; the model downloads as safetensors. Query options: `epochs`, `hidden`,
 * `autostart`. The status line says what the page is doing (loading, ready, training epoch k
 * of n, done, stopped, failed) and how long each epoch took by the wall clock;
 * `window.reliefPage` reports the same (the browser test reads it).
 */
import { imageGridCanvas, lineChartSvg, type RgbCanvas, weightsGridCanvas } from '@relief/plot/browser';
import { MNIST_SUBSET_ROWS, mnistSubset } from 'mnist-subset';
import { backends, batch, fit, layers, models, optimizers, samplers } from 'relief';
import { unpackBits } from './bits.js';

const PIXELS = 784;
const query = new URLSearchParams(location.search);
const epochs = Number(query.get('epochs') ?? 15);
const hidden = Number(query.get('hidden') ?? 64);

/** What the page is doing. */
type Phase = 'loading' | 'ready' | 'training' | 'done' | 'stopped' | 'failed';

/**
 * What the page has done so far, for people reading the console and for the browser test:
 * `history` holds one record per epoch, its `seconds` the epoch's wall time.
 */
const report = {
  phase: 'loading' as Phase,
  backend: '',
  epochsDone: 0,
  running: false,
  error: '',
  history: [] as fit.EpochRecord[],
};
(globalThis as { reliefPage?: typeof report }).reliefPage = report;

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** Shows `text` in the status line, the page being in `phase`. */
const status = (phase: Phase, text: string) => {
  report.phase = phase;
  element('status').textContent = text;
};
/** Lets the page paint what changed (a macrotask: awaiting a promise alone does not). */
const paint = () => new Promise((resolve) => setTimeout(resolve));

/** The native WebGPU backend when the browser offers an adapter, else the cpu backend. */
async function startBackend(): Promise<string> {
  if ('gpu' in navigator) {
    try {
      await backends.use('webgpu');
      return 'WebGPU';
    } catch (error) {
      console.warn('WebGPU unavailable, using the cpu backend:', error);
    }
  }
  await backends.use('cpu');
  return 'cpu (WebAssembly SIMD)';
}

function draw(canvas: HTMLCanvasElement, picture: RgbCanvas): void {
  canvas.width = picture.width;
  canvas.height = picture.height;
  const image = new ImageData(picture.width, picture.height);
  for (let i = 0, j = 0; i < picture.pixels.length; i += 3, j += 4) {
    image.data.set(picture.pixels.subarray(i, i + 3), j);
    image.data[j + 3] = 255;
  }
  canvas.getContext('2d')?.putImageData(image, 0, 0);
}

/** Filters, fantasy particles (p(v | h) after 100 Gibbs sweeps from random states) and the learning curve. */
async function show(model: models.BoltzmannMachine): Promise<void> {
  const { be } = backends;
  const weights = await be.read(model.denseWeights(0, 'show').matrix);
  draw(element('filters'), weightsGridCanvas({ rows: PIXELS, columns: hidden, values: weights }, { zoom: 2 }));
  const state = samplers.SequentialMC.generateFantasyState(model, 36, 100);
  const means = be.tidy(() => model.layer(0).conditionalMean(model.fieldOn(0, state.units)));
  state.dispose();
  draw(element('fantasy'), imageGridCanvas({ rows: 36, columns: PIXELS, values: await be.read(means) }, { zoom: 2 }));
  be.dispose(means);
  // ReconstructionError: √(mean over digits of their mean squared pixel error ÷ the batch's pixel variance).
  const errors = report.history.map((record) => record.ReconstructionError as number);
  if (errors.length === 0) return;
  element('curve').innerHTML = await lineChartSvg([{ name: 'reconstruction error', y: errors }], {
    yLabel: 'RMS error ÷ std of the data',
    width: 300,
    height: 200,
  });
}

function download(name: string, contents: Uint8Array | string, type: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([contents as BlobPart], { type }));
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function main(): Promise<void> {
  status('loading', 'loading: starting the backend…');
  await paint();
  report.backend = await startBackend();
  status('loading', `loading: ${MNIST_SUBSET_ROWS} MNIST digits and an RBM on ${report.backend}…`);
  await paint();
  backends.setSeed(1);
  const data = {
    rows: MNIST_SUBSET_ROWS,
    columns: PIXELS,
    values: unpackBits(mnistSubset, MNIST_SUBSET_ROWS * PIXELS),
  };
  const batches = new batch.InMemoryBatch(data, { batchSize: 50, trainFraction: 0.9, seed: 1 });
  const model = new models.BoltzmannMachine([new layers.BernoulliLayer(PIXELS), new layers.BernoulliLayer(hidden)]);
  await models.initializeModel(model, backends.be.tensor(data.values, [data.rows, PIXELS]), 'glorotNormal');
  status('ready', `ready: ${data.rows} MNIST digits on ${report.backend}; press Train for ${epochs} epochs`);
  const buttons = {
    train: element<HTMLButtonElement>('train'),
    stop: element<HTMLButtonElement>('stop'),
    download: element<HTMLButtonElement>('download'),
    json: element<HTMLButtonElement>('download-json'),
  };
  let controller = new AbortController();
  buttons.stop.onclick = () => controller.abort();
  buttons.download.onclick = async () =>
    download(
      'params.safetensors',
      models.encodeSafetensors(await models.readParameters(model.namedParameters()), { format: models.MODEL_FORMAT }),
      'application/octet-stream',
    );
  buttons.json.onclick = () =>
    download(
      'model.json',
      JSON.stringify(models.describeModel(model, { history: report.history }), null, 2),
      'application/json',
    );
  const optimizer = new optimizers.ADAM({ stepsize: 0.005 });
  buttons.train.onclick = async () => {
    controller = new AbortController();
    const { signal } = controller;
    report.running = true;
    for (const [button, enabled] of [
      [buttons.train, false],
      [buttons.stop, true],
      [buttons.download, false],
      [buttons.json, false],
    ] as const)
      button.disabled = !enabled;
    // Each press trains `epochs` more, numbering them on from the last.
    const last = report.history.length + epochs;
    const on = `on ${report.backend}`;
    let previous = '';
    status('training', `training epoch ${report.history.length + 1} of ${last} ${on}…`);
    await paint();
    const started = performance.now();
    let epochStarted = started;
    try {
      await new fit.SGD(model, batches).train(optimizer, epochs, {
        signal,
        monitor: new fit.ProgressMonitor({ metrics: [new fit.ReconstructionError()], maxBatches: 2 }),
        onEpoch: async (record) => {
          // The epoch's wall time: its minibatches, the device finishing them and the metric's
          // readbacks. SGD's own `seconds` stops when the last minibatch is queued, which on
          // WebGPU is long before the work is done.
          const seconds = (performance.now() - epochStarted) / 1000;
          const epoch = report.history.length + 1;
          report.history.push({ ...record, epoch, seconds });
          report.epochsDone = epoch;
          const took = `epoch ${epoch} of ${last} took ${seconds.toFixed(1)} s`;
          status('training', `${signal.aborted ? 'stopping' : took}; drawing the pictures…`);
          await show(model);
          previous = took;
          if (!signal.aborted && epoch < last)
            status('training', `training epoch ${epoch + 1} of ${last} ${on}… (${took})`);
          await paint();
          epochStarted = performance.now();
        },
      });
      const total = `${((performance.now() - started) / 1000).toFixed(1)} s`;
      if (signal.aborted) {
        status(
          'stopped',
          `stopped in epoch ${report.epochsDone} of ${last} ${on} after ${total}; the model keeps what it learned`,
        );
      } else {
        status('done', `done: trained ${report.epochsDone} epochs ${on} in ${total} (last ${previous})`);
      }
    } catch (error) {
      report.error = String((error as Error).stack ?? error);
      status('failed', `failed: ${(error as Error).message}`);
    } finally {
      report.running = false;
      for (const button of [buttons.train, buttons.download, buttons.json]) button.disabled = false;
      buttons.stop.disabled = true;
    }
  };
  await show(model);
  if (query.has('autostart')) buttons.train.click();
}

main().catch((error) => {
  report.error = String((error as Error).stack ?? error);
  status('failed', `failed: ${(error as Error).message}`);
});
