/**
 * Fuzz tests of every parser: real good files mutated by truncation, bit flips, splices, huge
 * numbers and deep JSON nesting. Each outcome must be a correct load or a typed Relief error,
 * within a time bound, with a result no larger than a bound derived from the input size.
 * `RELIEF_FUZZ_RUNS` sets the cases per parser (CI: 400; `npm run fuzz`: 5000).
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { be } from '../../backends/index.js';
import { parseRunConfigText } from '../../config/index.js';
import { ReliefError } from '../../errors/index.js';
import { BernoulliLayer, GaussianLayer } from '../../layers/index.js';
import { BoltzmannMachine, describeModel, modelFromFiles } from '../../models/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../models/safetensors.js';
import { decodeIdx, decodeNpy, encodeIdx, encodeNpy, parseCsv } from '../../packages/data/src/index.js';

const RUNS = Number(process.env.RELIEF_FUZZ_RUNS ?? 400);
/** Longest a single parse may take, in milliseconds (generous for slow CI machines). */
const TIME_BOUND_MS = 2000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A mutation of a file's bytes. */
type Mutation = (bytes: Uint8Array) => Uint8Array;

const HUGE_TEXT = ['99999999999999999999999', '1e308', '-1', '4294967296', 'NaN', '1.5', '0', '-0', '1e-320'];
const HUGE_WORDS = [0xffffffff, 0x7fffffff, 0x80000000, 0x00010000];

function mutations(isText: boolean, isJson: boolean): fc.Arbitrary<Mutation> {
  const truncate = fc.nat().map(
    (at): Mutation =>
      (b) =>
        b.slice(0, b.length === 0 ? 0 : at % b.length),
  );
  const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map(
    (bits): Mutation =>
      (b) => {
        const out = Uint8Array.from(b);
        for (const [at, bit] of bits) {
          const i = at % Math.max(1, out.length);
          if (i < out.length) out[i] = (out[i] as number) ^ (1 << bit);
        }
        return out;
      },
  );
  const splice = fc.tuple(fc.nat(), fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 64 })).map(
    ([at, remove, insert]): Mutation =>
      (b) => {
        const start = b.length === 0 ? 0 : at % b.length;
        return Uint8Array.from([...b.subarray(0, start), ...insert, ...b.subarray(start + remove)]);
      },
  );
  const duplicate = fc.tuple(fc.nat(), fc.nat({ max: 256 })).map(
    ([at, length]): Mutation =>
      (b) => {
        const start = b.length === 0 ? 0 : at % b.length;
        const piece = b.subarray(start, start + length);
        return Uint8Array.from([...b.subarray(0, start), ...piece, ...piece, ...b.subarray(start)]);
      },
  );
  const huge = isText
    ? fc.tuple(fc.nat(), fc.constantFrom(...HUGE_TEXT)).map(
        ([which, value]): Mutation =>
          (b) => {
            const text = decoder.decode(b);
            const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e-?\d+)?/g)];
            const target = numbers[which % Math.max(1, numbers.length)];
            if (!target || target.index === undefined) return b;
            return encoder.encode(text.slice(0, target.index) + value + text.slice(target.index + target[0].length));
          },
      )
    : fc.tuple(fc.nat(), fc.constantFrom(...HUGE_WORDS), fc.boolean()).map(
        ([at, word, little]): Mutation =>
          (b) => {
            const out = Uint8Array.from(b);
            if (out.length < 4) return out;
            new DataView(out.buffer).setUint32(at % (out.length - 3), word, little);
            return out;
          },
      );
  const all = [truncate, flips, splice, duplicate, huge];
  if (isJson) {
    all.push(
      fc.integer({ min: 1, max: 200_000 }).map(
        (depth): Mutation =>
          (b) => {
            const text = decoder.decode(b);
            return encoder.encode(text.replace(/^\s*\{/, `{"deep": ${'['.repeat(depth)}${']'.repeat(depth)}, `));
          },
      ),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 50_000 })).map(
        ([which, depth]): Mutation =>
          (b) => {
            const text = decoder.decode(b);
            const colons = [...text.matchAll(/:/g)];
            const at = colons[which % Math.max(1, colons.length)]?.index;
            if (at === undefined) return b;
            return encoder.encode(
              `${text.slice(0, at + 1)}${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"z":${text.slice(at + 1)}`,
            );
          },
      ),
    );
  }
  return fc.oneof(...all);
}

interface Parser {
  readonly name: string;
  readonly good: Uint8Array;
  readonly text: boolean;
  readonly json: boolean;
  /** Parses the bytes; returns the number of values it made (for the size bound). */
  parse(bytes: Uint8Array): number;
}

function smallModel(): BoltzmannMachine {
  return new BoltzmannMachine([new BernoulliLayer(6), new GaussianLayer(4), new BernoulliLayer(3)]);
}

async function parsers(): Promise<Parser[]> {
  const model = smallModel();
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const { key, owner, name } of model.namedParameters()) {
    tensors[key] = { shape: [...owner.paramShape(name)], data: await be.read(owner.param(name)) };
  }
  const params = encodeSafetensors(tensors, { format: 'relief-model' });
  const modelJson = encoder.encode(JSON.stringify(describeModel(model, { note: 'fuzz' }), null, 2));
  model.dispose();
  const runConfig = encoder.encode(
    JSON.stringify({
      seed: 1,
      data: { source: 'csv', path: 'x.csv', transform: 'scale' },
      model: {
        layers: [
          { type: 'bernoulli', units: 6 },
          { type: 'bernoulli', units: 3, penalties: { loc: { type: 'l2', coefficient: 0.1 } } },
        ],
        penalties: { 'connections.0.W': { type: 'l1', coefficient: 0.001 } },
      },
      train: { epochs: 2, optimizer: { type: 'adam', stepsize: { type: 'powerLawDecay', initial: 0.01 } } },
    }),
  );
  const idx = encodeIdx(
    [5, 3, 2],
    Array.from({ length: 30 }, (_, i) => i),
  );
  const matrix = { rows: 4, columns: 3, values: Float32Array.from({ length: 12 }, (_, i) => i / 7) };
  const built = (result: { model: BoltzmannMachine }) => {
    const count = result.model
      .namedParameters()
      .reduce((n, p) => n + p.owner.paramShape(p.name).reduce((a, b) => a * b, 1), 0);
    result.model.dispose();
    return count;
  };
  return [
    {
      name: 'safetensors',
      good: params,
      text: false,
      json: false,
      parse: (b) => [...decodeSafetensors(b, 'f').tensors.values()].reduce((n, t) => n + t.data.length, 0),
    },
    {
      name: 'model.json',
      good: modelJson,
      text: true,
      json: true,
      parse: (b) => built(modelFromFiles(decoder.decode(b), params)),
    },
    {
      name: 'model params',
      good: params,
      text: false,
      json: false,
      parse: (b) => built(modelFromFiles(decoder.decode(modelJson), b)),
    },
    {
      name: 'run config',
      good: runConfig,
      text: true,
      json: true,
      parse: (b) => parseRunConfigText(decoder.decode(b), 'run.json').model.layers.length,
    },
    { name: 'IDX', good: idx, text: false, json: false, parse: (b) => decodeIdx(b, 'x.idx').values.length },
    {
      name: 'IDX (gzip)',
      good: gzipSync(idx),
      text: false,
      json: false,
      parse: (b) => decodeIdx(b, 'x.idx.gz').values.length,
    },
    {
      name: 'CSV',
      good: encoder.encode('a,b,c\n1,2,3\n4.5,-6,7e-3\n0,0,1\n'),
      text: true,
      json: false,
      parse: (b) => parseCsv(decoder.decode(b), 'x.csv').values.length,
    },
    {
      name: 'npy',
      good: encodeNpy(matrix),
      text: false,
      json: false,
      parse: (b) => decodeNpy(b, 'x.npy').values.length,
    },
  ];
}

/** The most values a file of `bytes` bytes may decode to (gzip may expand; see decodeIdx's limit). */
function sizeBound(name: string, bytes: number): number {
  return name === 'IDX (gzip)' ? 1100 * bytes + 1_000_000 : bytes;
}

describe('fuzzed parsers give a correct load or a typed error', async () => {
  const all = await parsers();
  it.each(all.map((p) => [p.name, p] as const))('%s', (_name, parser) => {
    expect(parser.parse(parser.good)).toBeGreaterThan(0);
    fc.assert(
      fc.property(mutations(parser.text, parser.json), (mutate) => {
        const bytes = mutate(parser.good);
        const start = performance.now();
        try {
          const values = parser.parse(bytes);
          expect(values).toBeLessThanOrEqual(sizeBound(parser.name, bytes.length));
        } catch (error) {
          if (!(error instanceof ReliefError))
            throw new Error(`${parser.name}: untyped ${String(error)}`, { cause: error });
        }
        expect(performance.now() - start).toBeLessThan(TIME_BOUND_MS);
      }),
      { numRuns: RUNS, seed: 20261124 },
    );
  });
});
