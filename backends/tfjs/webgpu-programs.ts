import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../shapes.js';
import type { AdamSettings } from '../types.js';

/**
 * WebGPU fast paths for the tfjs backend's hottest operations. On WebGPU every tfjs op is one
 * dispatch that costs the host about 0.1 ms (Dawn on an H100, and on Mesa's software adapter
 * alike), and every upload of host values makes and destroys a mapped staging buffer — far
 * more than the arithmetic of a training batch. So: an ADAM step (14 dispatches and 6 scalar
 * uploads per parameter as tfjs ops) and a Bernoulli draw from logits (4 dispatches) run as
 * fused programs, one dispatch per output, with the scalars as uniforms and the same f32
 * arithmetic in the same order as the composites they replace; host values go up with
 * `queue.writeBuffer` into a pooled buffer.
 */

/** The parts of tfjs's WebGPU backend that an upload writes into (tfjs-backend-webgpu 4.22). */
interface WebGpuTensorData {
  resource: unknown;
  values: unknown;
}

/** GPUBufferUsage's STORAGE | COPY_SRC | COPY_DST, the usage of tfjs's tensor buffers. */
const TENSOR_BUFFER_USAGE = 0x80 | 0x04 | 0x08;

/**
 * A float32 tensor on the GPU holding `values`, written by `queue.writeBuffer` into a buffer
 * from tfjs's pool (which hands out only buffers that no unsubmitted command uses, and the
 * write is ordered after everything submitted). @param values - taken over, not copied
 */
export function uploadFloat32(values: Float32Array, shape: readonly number[]): tf.Tensor {
  const tensor = tf.tensor(values, [...shape], 'float32');
  if (values.length === 0) return tensor;
  const backend = tf.backend() as WebGPUBackend;
  const data = (backend as unknown as { tensorMap: { get(id: object): WebGpuTensorData } }).tensorMap.get(
    tensor.dataId,
  );
  const buffer = backend.bufferManager.acquireBuffer(values.byteLength, TENSOR_BUFFER_USAGE);
  backend.device.queue.writeBuffer(buffer, 0, values);
  data.resource = buffer;
  data.values = null;
  return tensor;
}

/** Threads per workgroup of the elementwise programs (tfjs's own unary programs use 128). */
const WORKGROUP = 128;

/** An elementwise program over `outputShape`: `body` sets `result` from the inputs at `index`. */
function elementwise(
  key: string,
  outputShape: readonly number[],
  variableNames: readonly string[],
  uniforms: string,
  body: string,
): WebGPUProgram {
  return {
    shaderKey: key,
    outputShape: [...outputShape],
    variableNames: [...variableNames],
    uniforms,
    size: true,
    workgroupSize: [WORKGROUP, 1, 1],
    dispatchLayout: { x: outputShape.map((_, axis) => axis) },
    dispatch: [Math.ceil(sizeOf(outputShape) / WORKGROUP), 1, 1],
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
          setOutputAtIndex(index, result);
        }
      }`,
  } as WebGPUProgram;
}

/** Runs `program` on the active WebGPU backend, its uniforms after tfjs's own. @returns its float32 output */
function run(program: WebGPUProgram, inputs: readonly tf.Tensor[], uniforms: readonly number[]): tf.Tensor {
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.runWebGPUProgram(
    program,
    [...inputs],
    'float32',
    uniforms.map((value) => ({ type: 'float32', data: [value] })),
  );
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * 1 where draw < σ(logits + bias), else 0, in one dispatch: the tfjs ops' sigmoid
 * (1 / (1 + exp(−x))) and comparison. @param logits - any shape @param draws - uniforms, as `logits`
 * @param bias - broadcast against `logits` (e.g. (numUnits) for (batch, numUnits)), or none
 */
export function bernoulliLogitsProgram(logits: tf.Tensor, draws: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const field =
    bias === undefined
      ? 'getLogitsByOutputIndex(index)'
      : 'getLogitsByOutputIndex(index) + getBiasByOutputIndex(index)';
  const program = elementwise(
    `relief_bernoulli_logits_${bias === undefined ? 'plain' : 'bias'}`,
    logits.shape,
    bias === undefined ? ['Logits', 'Draws'] : ['Logits', 'Draws', 'Bias'],
    '',
    `let x = ${field};
          let p = 1.0 / (1.0 + exp(-1.0 * x));
          let result = select(0.0, 1.0, getDrawsByOutputIndex(index) < p);`,
  );
  return run(program, bias === undefined ? [logits, draws] : [logits, draws, bias], []);
}

/**
 * One ADAM step in three dispatches (the mean, the mean square, the parameter), each the f32
 * arithmetic of `Backend.adamStep` in its order. All tensors share one shape; missing moments
 * count as zeros.
 */
export function adamStepPrograms(
  param: tf.Tensor,
  gradient: tf.Tensor,
  mean: tf.Tensor | undefined,
  meanSquare: tf.Tensor | undefined,
  settings: AdamSettings,
): { param: tf.Tensor; mean: tf.Tensor; meanSquare: tf.Tensor } {
  const { rate, meanWeight: b1, meanSquareWeight: b2, epsilon, step } = settings;
  const shape = param.shape;
  const average = (name: string, fresh: string, old: tf.Tensor | undefined, weight: number) =>
    old === undefined
      ? run(
          elementwise(
            `relief_adam_${name}_first`,
            shape,
            ['G'],
            'fresh : f32,',
            `let g = getGByOutputIndex(index);
          let result = (${fresh}) * uniforms.fresh;`,
          ),
          [gradient],
          [1 - weight],
        )
      : run(
          elementwise(
            `relief_adam_${name}`,
            shape,
            ['G', 'Old'],
            'old : f32, fresh : f32,',
            `let g = getGByOutputIndex(index);
          let result = getOldByOutputIndex(index) * uniforms.old + (${fresh}) * uniforms.fresh;`,
          ),
          [gradient, old],
          [weight, 1 - weight],
        );
  const nextMean = average('mean', 'g', mean, b1);
  const nextSquare = average('square', 'g * g', meanSquare, b2);
  const nextParam = run(
    elementwise(
      'relief_adam_param',
      shape,
      ['P', 'M', 'S'],
      'meanCorrection : f32, squareCorrection : f32, epsilon : f32, rate : f32,',
      `let update = (getMByOutputIndex(index) / uniforms.meanCorrection) /
            (sqrt(getSByOutputIndex(index) / uniforms.squareCorrection) + uniforms.epsilon);
          let result = getPByOutputIndex(index) - update * uniforms.rate;`,
    ),
    [param, nextMean, nextSquare],
    [1 - b1 ** step, 1 - b2 ** step, epsilon, rate],
  );
  return { param: nextParam, mean: nextMean, meanSquare: nextSquare };
}
