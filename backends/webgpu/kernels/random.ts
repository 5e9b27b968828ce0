/**
 * Random kernels on Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3", SC 2011), a counter-based generator: element `i` of a draw is a pure function of the key
 * (the seed) and the 64-bit counter `start + i`, so a seeded run repeats exactly however the
 * work is split, and the stream resumes from (seed, counter). Every draw uses one counter per
 * element (per row for categorical). Uniforms: [count, key low, key high, counter low,
 * counter high, ...].
 */
import { bindings, linearMain, PRELUDE } from './common.js';

const PHILOX = /* wgsl */ `
fn mulHiLo(a: u32, b: u32) -> vec2<u32> {
  let aLow = a & 0xffffu;
  let aHigh = a >> 16u;
  let bLow = b & 0xffffu;
  let bHigh = b >> 16u;
  let lowLow = aLow * bLow;
  let highLow = aHigh * bLow;
  let lowHigh = aLow * bHigh;
  let cross = (lowLow >> 16u) + (highLow & 0xffffu) + lowHigh;
  let high = aHigh * bHigh + (highLow >> 16u) + (cross >> 16u);
  return vec2<u32>(high, (cross << 16u) | (lowLow & 0xffffu));
}
fn philox(counter: vec4<u32>, seed: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = seed;
  for (var round = 0u; round < 10u; round++) {
    let p0 = mulHiLo(0xD2511F53u, c.x);
    let p1 = mulHiLo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}
/** The four random words of element (or row) e of this draw. */
fn randomWords(e: u32) -> vec4<u32> {
  let low = param(3u) + e;
  let carry = select(0u, 1u, low < e);
  return philox(vec4<u32>(low, param(4u) + carry, 0u, 0u), vec2<u32>(param(1u), param(2u)));
}
/** A uniform in [0, 1) from the top 24 bits (exact in f32, so never 1). */
fn toUniform(w: u32) -> f32 { return f32(w >> 8u) * (1.0 / 16777216.0); }
fn sigmoidOf(x: f32) -> f32 {
  let e = exp(-abs(x));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, x >= 0.0);
}
`;

/** Uniform samples. */
export function uniformSource(): string {
  return `${PRELUDE}${PHILOX}${bindings([], ['out'])}
${linearMain('param(0u)', 'out[i] = toUniform(randomWords(i).x);')}`;
}

/** Normal samples by Box–Muller (the cosine of the pair) from the element's first two words. */
export function normalSource(): string {
  const body = /* wgsl */ `
  let w = randomWords(i);
  let u1 = 1.0 - toUniform(w.x);
  let u2 = toUniform(w.y);
  out[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);`;
  return `${PRELUDE}${PHILOX}${bindings([], ['out'])}
${linearMain('param(0u)', body)}`;
}

/**
 * Where a draw's uniforms come from: `device`, Philox on the device; `host`, a bound buffer
 * `drawn` of uniforms the host drew (the stream every backend shares).
 */
export type UniformSource = 'device' | 'host';

function uniformAt(source: UniformSource, e: string): string {
  return source === 'device' ? `toUniform(randomWords(${e}).x)` : `drawn[${e}]`;
}

/** 1 where u < p, else 0. */
export function bernoulliSource(source: UniformSource): string {
  const inputs = source === 'device' ? ['probabilities'] : ['probabilities', 'drawn'];
  return `${PRELUDE}${PHILOX}${bindings(inputs, ['out'])}
${linearMain('param(0u)', `out[i] = select(0.0, 1.0, ${uniformAt(source, 'i')} < probabilities[i]);`)}`;
}

/**
 * 1 where u < σ(x + bias), else 0: the same uniforms as {@link bernoulliSource}. The bias (when
 * bound) repeats every `param(5)` elements (a row vector against a batch).
 */
export function bernoulliLogitsSource(withBias: boolean, source: UniformSource): string {
  const logit = withBias ? 'logits[i] + bias[i % param(5u)]' : 'logits[i]';
  const body = `out[i] = select(0.0, 1.0, ${uniformAt(source, 'i')} < sigmoidOf(${logit}));`;
  const inputs = [...(withBias ? ['logits', 'bias'] : ['logits']), ...(source === 'host' ? ['drawn'] : [])];
  return `${PRELUDE}${PHILOX}${bindings(inputs, ['out'])}
${linearMain('param(0u)', body)}`;
}

/**
 * One-hot rows drawn from softmax(logits) by the inverse CDF: the first category whose
 * cumulative weight exceeds u · total. One thread per row; uniforms: [rows, …, categories].
 */
export function categoricalSource(source: UniformSource): string {
  const body = /* wgsl */ `
  let categories = param(5u);
  let base = i * categories;
  var peak = -infinityF();
  for (var j = 0u; j < categories; j++) { peak = max(peak, logits[base + j]); }
  var total = 0.0;
  for (var j = 0u; j < categories; j++) { total = total + exp(logits[base + j] - peak); }
  let threshold = ${uniformAt(source, 'i')} * total;
  var chosen = categories - 1u;
  var cumulative = 0.0;
  for (var j = 0u; j < categories; j++) {
    cumulative = cumulative + exp(logits[base + j] - peak);
    if (cumulative > threshold) { chosen = j; break; }
  }
  for (var j = 0u; j < categories; j++) { out[base + j] = select(0.0, 1.0, j == chosen); }`;
  const inputs = source === 'device' ? ['logits'] : ['logits', 'drawn'];
  return `${PRELUDE}${PHILOX}${bindings(inputs, ['out'])}
${linearMain('param(0u)', body)}`;
}
