/**
 * A plain Bernoulli RBM trainer in float64, written from the formulas and sharing no code with
 * the library but its random generator: one CD-1 or PCD-1 minibatch step with SGD, momentum or
 * ADAM. The training reference test runs it from Relief's own state at every minibatch.
 *
 * E(v, h) = −aᵀv − bᵀh − vᵀWh;  p(h = 1 | v) = σ(b + vW);  p(v = 1 | h) = σ(a + Wh).
 * Loss gradient (the direction of increasing −log-likelihood), data rows v, chains v′:
 *   g_W = ⟨v′ᵀ σ(b + v′W)⟩ − ⟨vᵀ σ(b + vW)⟩,  g_a = ⟨v′⟩ − ⟨v⟩,  g_b = ⟨σ(b + v′W)⟩ − ⟨σ(b + vW)⟩.
 * One chain sweep draws h ~ p(h | v_chain), then v′ ~ p(v | h), each unit 1 when its uniform is
 * below its probability, uniforms taken row-major: all of h's, then all of v's.
 */
import { type RandomWords, SeededRandom } from '../../backends/index.js';

/** A matrix in row-major float64. */
export interface Matrix {
  readonly rows: number;
  readonly columns: number;
  readonly values: Float64Array;
}

/** The parameters, keyed as Relief saves them. */
export interface RbmParameters {
  readonly 'connections.0.W': Float64Array;
  readonly 'layers.0.loc': Float64Array;
  readonly 'layers.1.loc': Float64Array;
}

export type ParameterKey = keyof RbmParameters;
export const PARAMETER_KEYS: readonly ParameterKey[] = ['connections.0.W', 'layers.0.loc', 'layers.1.loc'];

/** The optimizers of the reference, with Relief's default hyperparameters. */
export type ReferenceOptimizer =
  | { readonly kind: 'sgd'; readonly rate: number }
  | { readonly kind: 'momentum'; readonly rate: number; readonly momentum: number }
  | {
      readonly kind: 'adam';
      readonly rate: number;
      readonly b1: number;
      readonly b2: number;
      readonly epsilon: number;
    };

/** Everything one optimizer update starts from. */
export interface UpdateInput {
  readonly parameters: RbmParameters;
  /** Each parameter's moments (none for sgd, [velocity] for momentum, [mean, meanSquare] for adam; absent before the first step). */
  readonly moments: ReadonlyMap<ParameterKey, readonly Float64Array[]>;
  /** Updates applied before this one. */
  readonly updates: number;
  readonly optimizer: ReferenceOptimizer;
}

/** Draws of one layer: their probabilities and uniforms (a unit is 1 when its uniform is below its probability). */
export interface Draws {
  readonly probabilities: Matrix;
  readonly uniforms: Float64Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** σ(bias + x W) row by row: x (n, V), W (V, H) → (n, H); `transpose` gives σ(bias + x Wᵀ) for x (n, H) → (n, V). */
function conditional(x: Matrix, weights: Float64Array, bias: Float64Array, transpose: boolean): Matrix {
  const inner = x.columns;
  const outer = bias.length;
  const out = new Float64Array(x.rows * outer);
  for (let r = 0; r < x.rows; r++) {
    for (let j = 0; j < outer; j++) {
      let field = bias[j] as number;
      for (let i = 0; i < inner; i++) {
        const w = transpose ? weights[j * inner + i] : weights[i * outer + j];
        field += (x.values[r * inner + i] as number) * (w as number);
      }
      out[r * outer + j] = sigmoid(field);
    }
  }
  return { rows: x.rows, columns: outer, values: out };
}

/** The generator continuing Relief's random stream from its state words. */
export function continuedRandom(words: RandomWords): SeededRandom {
  const random = new SeededRandom(0);
  random.importState(words);
  return random;
}

function draws(probabilities: Matrix, random: SeededRandom): Draws {
  return { probabilities, uniforms: Float64Array.from(probabilities.values, () => random.nextFloat()) };
}

/** The hidden draws of a sweep: h ~ p(h | v), v (n, V). */
export function hiddenDraws(parameters: RbmParameters, visible: Matrix, random: SeededRandom): Draws {
  return draws(conditional(visible, parameters['connections.0.W'], parameters['layers.1.loc'], false), random);
}

/** The visible draws of a sweep: v ~ p(v | h), h (n, H). */
export function visibleDraws(parameters: RbmParameters, hidden: Matrix, random: SeededRandom): Draws {
  return draws(conditional(hidden, parameters['connections.0.W'], parameters['layers.0.loc'], true), random);
}

/** Column means of a matrix. */
function columnMeans(x: Matrix): Float64Array {
  const out = new Float64Array(x.columns);
  for (let r = 0; r < x.rows; r++) {
    for (let c = 0; c < x.columns; c++) out[c] = (out[c] as number) + (x.values[r * x.columns + c] as number) / x.rows;
  }
  return out;
}

/** ⟨xᵀy⟩ over rows: x (n, V), y (n, H) → (V, H). */
function meanOuter(x: Matrix, y: Matrix): Float64Array {
  const out = new Float64Array(x.columns * y.columns);
  for (let r = 0; r < x.rows; r++) {
    for (let i = 0; i < x.columns; i++) {
      const xi = x.values[r * x.columns + i] as number;
      if (xi === 0) continue;
      for (let j = 0; j < y.columns; j++) {
        const k = i * y.columns + j;
        out[k] = (out[k] as number) + (xi * (y.values[r * y.columns + j] as number)) / x.rows;
      }
    }
  }
  return out;
}

/** The loss gradient from the data and the chains' new visible units. */
export function gradient(parameters: RbmParameters, data: Matrix, chains: Matrix): RbmParameters {
  const W = parameters['connections.0.W'];
  const b = parameters['layers.1.loc'];
  const dataHidden = conditional(data, W, b, false);
  const chainHidden = conditional(chains, W, b, false);
  const difference = (model: Float64Array, positive: Float64Array) => model.map((m, i) => m - (positive[i] as number));
  return {
    'connections.0.W': difference(meanOuter(chains, chainHidden), meanOuter(data, dataHidden)),
    'layers.0.loc': difference(columnMeans(chains), columnMeans(data)),
    'layers.1.loc': difference(columnMeans(chainHidden), columnMeans(dataHidden)),
  };
}

/** One optimizer update of every parameter: the new parameters and moments. */
export function optimizerStep(
  input: UpdateInput,
  gradients: RbmParameters,
): { parameters: RbmParameters; moments: Map<ParameterKey, Float64Array[]> } {
  const { optimizer } = input;
  const step = input.updates + 1;
  const moments = new Map<ParameterKey, Float64Array[]>();
  const next = {} as Record<ParameterKey, Float64Array>;
  for (const key of PARAMETER_KEYS) {
    const theta = input.parameters[key];
    const g = gradients[key];
    const old = input.moments.get(key);
    if (optimizer.kind === 'sgd') {
      next[key] = theta.map((t, i) => t - optimizer.rate * (g[i] as number));
    } else if (optimizer.kind === 'momentum') {
      const velocity = g.map((gi, i) => optimizer.momentum * ((old?.[0]?.[i] as number | undefined) ?? 0) + gi);
      next[key] = theta.map((t, i) => t - optimizer.rate * (velocity[i] as number));
      moments.set(key, [velocity]);
    } else {
      const { b1, b2, epsilon, rate } = optimizer;
      const mean = g.map((gi, i) => b1 * ((old?.[0]?.[i] as number | undefined) ?? 0) + (1 - b1) * gi);
      const square = g.map((gi, i) => b2 * ((old?.[1]?.[i] as number | undefined) ?? 0) + (1 - b2) * gi * gi);
      next[key] = theta.map((t, i) => {
        const corrected = (mean[i] as number) / (1 - b1 ** step);
        const correctedSquare = (square[i] as number) / (1 - b2 ** step);
        return t - (rate * corrected) / (Math.sqrt(correctedSquare) + epsilon);
      });
      moments.set(key, [mean, square]);
    }
  }
  return { parameters: next, moments };
}
