/**
 * The native webgpu backend on Mesa's software adapter: the shared suite on the device's own
 * random generator (the backends tier runs it again on the host stream, through the registry),
 * and what is particular to the device: Philox's known answers, resuming the stream, the
 * work counters, ordering of uploads against recorded work, the buffer pool, memory limits
 * and a lost device. Without an adapter everything is skipped with the reason, unless
 * RELIEF_REQUIRE_WEBGPU=1 (CI sets it) makes a missing adapter a failure.
 */
import { describe, expect, it } from 'vitest';
import { type Backend, Float64Backend, SeededRandom, type Tensor } from '../../backends/index.js';
import { DeviceLostError, WebGpuBackend } from '../../backends/webgpu/index.js';
import { BackendUnavailableError, ConfigError, MemoryBudgetError } from '../../errors/index.js';
import { backendSuite, FULL_SUITE } from './suite.js';

const started: WebGpuBackend | Error = await WebGpuBackend.create({
  adapter: 'software',
  random: 'device',
  seed: 1,
}).catch((error: Error) => error);

/** Philox4x32-10 of counter 0 under key 0 (Random123's known-answer test). */
const PHILOX_ZERO = [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8];

/** The uniform the device makes of a random word: its top 24 bits. */
const toUniform = (word: number) => (word >>> 8) * 2 ** -24;

if (started instanceof Error && process.env.RELIEF_REQUIRE_WEBGPU !== '1') {
  describe.skip(`webgpu backend — skipped: ${started.message}`, () => {
    it('needs a WebGPU adapter', () => {});
  });
} else {
  const start = async () => {
    if (started instanceof Error) throw started;
    return started;
  };
  backendSuite('webgpu (software adapter, device random)', start, FULL_SUITE);

  describe('webgpu backend', () => {
    const gpu = () => started as WebGpuBackend;

    describe('random numbers on the device', () => {
      it("draws Philox4x32-10: counter 0 under key 0 gives Random123's known answer", async () => {
        const be = gpu();
        be.setSeed(0);
        const [u] = await be.read(be.randomUniform([1]));
        expect(u).toBe(toUniform(PHILOX_ZERO[0] as number));
        be.setSeed(0);
        const [z] = await be.read(be.randomNormal([1]));
        const radius = Math.sqrt(-2 * Math.log(1 - toUniform(PHILOX_ZERO[0] as number)));
        expect(z).toBeCloseTo(radius * Math.cos(2 * Math.PI * toUniform(PHILOX_ZERO[1] as number)), 5);
      });

      it('randomState and setRandomState resume the stream, across the 32-bit counter boundary', async () => {
        const be = gpu();
        be.setSeed(99);
        await be.read(be.randomUniform([10]));
        const state = be.randomState();
        expect(state).toEqual([99, 0, 10, 0]);
        const next = await be.read(be.randomUniform([20]));
        const bits = await be.read(be.bernoulli(be.fill([20], 0.5)));
        be.setRandomState(state);
        expect(await be.read(be.randomUniform([20]))).toEqual(next);
        expect(await be.read(be.bernoulli(be.fill([20], 0.5)))).toEqual(bits);

        be.setRandomState([7, 1, 2 ** 32 - 1, 4]);
        const straddling = await be.read(be.randomUniform([2]));
        expect(be.randomState()).toEqual([7, 1, 1, 5]);
        be.setRandomState([7, 1, 0, 5]);
        expect((await be.read(be.randomUniform([1])))[0]).toBe(straddling[1]);
      });

      it('one draw is the same however it is split: each element has its own counter', async () => {
        const be = gpu();
        be.setSeed(4);
        const whole = await be.read(be.randomUniform([1000]));
        be.setSeed(4);
        const parts = [await be.read(be.randomUniform([300])), await be.read(be.randomUniform([700]))];
        expect(Float32Array.from([...(parts[0] as Float32Array), ...(parts[1] as Float32Array)])).toEqual(whole);
      });
    });

    describe('kernels at sizes the shared suite does not reach', () => {
      const oracle = new Float64Backend(0);
      const random = new SeededRandom(8);
      const values = (count: number) => Float32Array.from({ length: count }, () => 2 * random.nextFloat() - 1);
      /** Runs `op` here and on the float64 oracle and compares within `tolerance` (relative to 1 + |expected|). */
      const agrees = async (op: (b: Backend) => Tensor, tolerance: number) => {
        const expected = oracle.readFloat64(op(oracle));
        const got = await gpu().read(op(gpu()));
        expect(got.length).toBe(expected.length);
        got.forEach((v, i) => {
          expect(Math.abs(v - (expected[i] as number)), `element ${i}`).toBeLessThanOrEqual(
            tolerance * (1 + Math.abs(expected[i] as number)),
          );
        });
      };

      it('reductions over long axes, where a workgroup combines each output', async () => {
        const x = values(3 * 1000 * 2);
        for (const axis of [0, 1, 2, undefined]) {
          await agrees((b) => b.sum(b.tensor(x, [3, 1000, 2]), axis), 1e-5);
          await agrees((b) => b.max(b.tensor(x, [3, 1000, 2]), axis), 0);
          await agrees((b) => b.min(b.tensor(x, [3, 1000, 2]), axis), 0);
          if (axis !== undefined) await agrees((b) => b.argMax(b.tensor(x, [3, 1000, 2]), axis), 0);
        }
      });

      it('products and filter products of many tiles and long sums', async () => {
        // Sizes that are not multiples of 4 read one value at a time; multiples read four.
        for (const [m, k, n] of [
          [130, 300, 70],
          [128, 300, 72],
        ] as const) {
          const [a, w] = [values(m * k), values(k * n)];
          for (const [ta, tb] of [
            [false, false],
            [true, false],
            [false, true],
            [true, true],
          ] as const) {
            await agrees(
              (b) =>
                b.matmul(b.tensor(a, ta ? [k, m] : [m, k]), b.tensor(w, tb ? [n, k] : [k, n]), {
                  transposeA: ta,
                  transposeB: tb,
                }),
              1e-5 * Math.sqrt(k),
            );
          }
        }
        const [images, maps] = [values(4 * 2 * 20 * 20), values(4 * 3 * 9 * 9)];
        const convolution = { stride: 2, padding: 1 };
        await agrees(
          (b) =>
            b.conv2dFilterProducts(b.tensor(images, [4, 2, 20, 20]), b.tensor(maps, [4, 3, 9, 9]), [5, 5], convolution),
          1e-5 * Math.sqrt(4 * 81),
        );
      });
    });

    describe('work and memory', () => {
      it('counts dispatches, submits, readbacks and bytes; a read is the only submit', async () => {
        const be = gpu();
        const before = be.stats();
        const [a, b] = [be.tensor(new Float32Array(1000).fill(1)), be.fill([1000], 2)];
        const sum = be.add(a, be.mul(b, 3));
        const afterEncoding = be.stats();
        expect(afterEncoding.dispatches - before.dispatches).toBe(3);
        expect(afterEncoding.submits - before.submits).toBe(0);
        expect(afterEncoding.bytesUp - before.bytesUp).toBe(4000);
        expect((await be.read(sum)).every((v) => v === 7)).toBe(true);
        const after = be.stats();
        expect(after.submits - before.submits).toBe(1);
        expect(after.readbacks - before.readbacks).toBe(1);
        expect(after.bytesDown - before.bytesDown).toBe(4000);
        expect(after.hostMs).toBeGreaterThan(before.hostMs);
        be.resetStats();
        expect(be.stats().dispatches).toBe(0);
        be.dispose([a, b, sum]);
      });

      it('submits on its own when the encoder fills, with every result in order', async () => {
        const be = gpu();
        const before = be.stats().submits;
        let total = be.zeros([5]);
        for (let i = 0; i < 3000; i++) {
          const next = be.add(total, 1);
          be.dispose(total);
          total = next;
        }
        expect(be.stats().submits - before).toBeGreaterThanOrEqual(2);
        expect(Array.from(await be.read(total))).toEqual([3000, 3000, 3000, 3000, 3000]);
        be.dispose(total);
      });

      it('an upload into a buffer that recorded work still reads lands after that work', async () => {
        const be = gpu();
        for (const size of [256, 40_000]) {
          be.trimPool(); // so that the only pooled buffer of this size is the one recorded work uses
          const first = be.fill([size], 3);
          const plusOne = be.add(first, 1);
          be.dispose(first);
          // The pool hands `first`'s buffer out again before the encoder is submitted.
          const uploaded = be.tensor(new Float32Array(size).fill(5));
          expect((await be.read(plusOne)).every((v) => v === 4)).toBe(true);
          expect((await be.read(uploaded)).every((v) => v === 5)).toBe(true);
          be.dispose([plusOne, uploaded]);
        }
      });

      it('frees every tensor a tidy makes, and the pool stops growing in a training-like loop', async () => {
        const be = gpu();
        const weights = be.keep(be.randomNormal([64, 32]));
        const step = () =>
          be.tidy(() => {
            const visible = be.bernoulli(be.fill([16, 64], 0.5));
            const hidden = be.bernoulliLogits(be.matmul(visible, weights));
            return be.sum(be.matmul(visible, hidden, { transposeA: true }));
          });
        for (let i = 0; i < 20; i++) be.dispose(step());
        await be.read(weights);
        const [tensors, created] = [be.numTensors(), be.stats().buffersCreated];
        for (let i = 0; i < 200; i++) be.dispose(step());
        await be.read(weights);
        expect(be.numTensors()).toBe(tensors);
        expect(be.stats().buffersCreated).toBe(created);
        expect(be.numBytes()).toBeGreaterThan(0);
        be.dispose(weights);
      });

      it('refuses a tensor beyond the largest storage binding with a MemoryBudgetError', () => {
        const be = gpu();
        const { maxTensorBytes } = be.memoryLimits();
        expect(maxTensorBytes).toBeGreaterThan(0);
        const elements = Math.floor(maxTensorBytes / 4) + 1;
        expect(() => be.checkMemory([{ what: 'the weights', shape: [elements] }], 'test', 'use fewer units')).toThrow(
          MemoryBudgetError,
        );
        const before = be.numTensors();
        expect(() => be.fill([elements], 0)).toThrow(/more than the .* one tensor can hold on this device/);
        expect(be.numTensors()).toBe(before);
      });

      it('has no synchronous read', () => {
        expect(gpu().canReadSync).toBe(false);
        expect(() => gpu().readSync(gpu().zeros([1]))).toThrow(ConfigError);
      });
    });

    it('after the device is lost, every operation throws DeviceLostError', async () => {
      const lost = await WebGpuBackend.create({ adapter: 'software', seed: 1 });
      const t = lost.ones([3]);
      lost.destroy();
      expect(() => lost.add(t, 1)).toThrow(DeviceLostError);
      expect(() => lost.zeros([2])).toThrow(/the device was lost/);
      await expect(lost.read(t)).rejects.toThrow(DeviceLostError);
    });

    it('asks for a hardware adapter unless told otherwise, and says how to get one', async () => {
      const hardware = await WebGpuBackend.create({ adapter: 'hardware', seed: 1 }).catch((error: Error) => error);
      if (hardware instanceof Error) {
        expect(hardware).toBeInstanceOf(BackendUnavailableError);
        expect(hardware.message).toMatch(/apt-get install -y mesa-vulkan-drivers/);
        expect(hardware.message).toMatch(/nvidia_icd\.json/);
      } else {
        expect(hardware.adapter).toBe('hardware');
        hardware.destroy();
      }
    });
  });
}
