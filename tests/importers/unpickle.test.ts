/**
 * The whitelisting unpickler: numpy arrays and plain containers as Python 2–5 protocols write
 * them, refusal of any global off the whitelist (naming it, running nothing), and typed errors
 * with the byte offset for every truncated, mutated or random input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../errors/index.js';
import {
  containerWhitelist,
  HostArray,
  numpyWhitelist,
  type PickleValue,
  UnsafePickleError,
  unpickle,
  type Whitelist,
} from '../../importers/index.js';
import { asHostArray } from '../../importers/numpy-pickles.js';

const hex = (text: string) => Uint8Array.from(text.match(/../g) as string[], (byte) => Number.parseInt(byte, 16));

/** Pickles written by CPython 3.11 with numpy 1.24 (or 2.4 where named); each constant names the call that made it. */
const PICKLES = {
  /** pickle.dumps(np.arange(6, dtype=np.float32).reshape(2, 3), protocol=2) */
  float32Protocol2:
    '8002636e756d70792e636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e6461727261790a71014b00857102635f636f646563730a656e636f64650a7103580100000062710458060000006c6174696e317105867106527107877108527109284b014b024b0386710a636e756d70790a64747970650a710b58020000006634710c898887710d52710e284b0358010000003c710f4e4e4e4affffffff4affffffff4b0074711062896803581b000000000000000000c2803f00000040000040400000c280400000c2a04071116805867112527113747114622e',
  /** pickle.dumps(np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3) - 3), protocol=4) */
  int64FortranProtocol4:
    '800495ba000000000000008c156e756d70792e636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b024b03869468038c0564747970659493948c02693894898887945294284b038c013c944e4e4e4affffffff4affffffff4b00749462884330fdffffffffffffff0000000000000000feffffffffffffff0100000000000000ffffffffffffffff0200000000000000947494622e',
  /** pickle.dumps(np.arange(4) * 0.5, protocol=5, buffer_callback=buffers.append) */
  outOfBandProtocol5:
    '8005956a000000000000008c126e756d70792e636f72652e6e756d65726963948c0b5f66726f6d62756666657294939428978c056e756d7079948c0564747970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b0485948c014394749452942e',
  /** ... and its one buffer */
  outOfBandBuffer: '0000000000000000000000000000e03f000000000000f03f000000000000f83f',
  /** pickle.dumps(np.arange(4, dtype='>f8') * 0.5, protocol=5) */
  inBandProtocol5:
    '80059593000000000000008c126e756d70792e636f72652e6e756d65726963948c0b5f66726f6d627566666572949394289620000000000000000000000000000000000000000000e03f000000000000f03f000000000000f83f948c056e756d7079948c0564747970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b0485948c014394749452942e',
  /** numpy 2.4: pickle.dumps(np.arange(4, dtype=np.float32).reshape(2, 2), protocol=4) */
  numpy2Protocol4:
    '8004959b000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b024b02869468038c0564747970659493948c02663494898887945294284b038c013c944e4e4e4affffffff4affffffff4b00749462894310000000000000803f0000004000004040947494622e',
  /** numpy 2.4: pickle.dumps(np.arange(3, dtype=np.int32), protocol=5, buffer_callback=buffers.append) */
  numpy2OutOfBandProtocol5:
    '8005956b000000000000008c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d62756666657294939428978c056e756d7079948c0564747970659493948c02693494898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b0385948c014394749452942e',
  /** ... and its one buffer */
  numpy2OutOfBandBuffer: '000000000100000002000000',
  /** pickle.dumps(np.float64(2.5), protocol=4) */
  scalarProtocol4:
    '80049569000000000000008c156e756d70792e636f72652e6d756c74696172726179948c067363616c61729493948c056e756d7079948c0564747970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624308000000000000044094869452942e',
  /** pickle.dumps({'a': [1, -2, 2**70, 1.5, None, True, False], 'b': (b'xy', 'é'), 'c': {1, 2}, 'd': frozenset([3]), 'e': OrderedDict([('k', 1)])}, protocol=4) */
  plainProtocol4:
    '8004957c000000000000007d94288c0161945d94284b014afeffffff8a09000000000000000040473ff80000000000004e8889658c01629443027879948c02c3a99486948c0163948f94284b014b02908c016494284b0391948c0165948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b0173752e',
  /** ... the same dict with protocol=2 */
  plainProtocol2:
    '80027d71002858010000006171015d7102284b014afeffffff8a09000000000000000040473ff80000000000004e8889655801000000627103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271085802000000c3a9710986710a580100000063710b635f5f6275696c74696e5f5f0a7365740a710c5d710d284b014b026585710e52710f5801000000647110635f5f6275696c74696e5f5f0a66726f7a656e7365740a71115d71124b0361857113527114580100000065711563636f6c6c656374696f6e730a4f726465726564446963740a71162952711758010000006b71184b0173752e',
  /** pickle.dumps(E(), protocol=2) with E.__reduce__ = lambda self: (os.system, ('echo pwned',)) */
  osSystemProtocol2: '800263706f7369780a73797374656d0a7100580a0000006563686f2070776e656471018571025271032e',
  /** pickle.dumps(V(), protocol=4) with V.__reduce__ = lambda self: (builtins.eval, ('1+1',)) */
  evalProtocol4: '8004951f000000000000008c086275696c74696e73948c046576616c9493948c03312b3194859452942e',
} as const;

const WHITELIST: Whitelist = new Map([...numpyWhitelist(), ...containerWhitelist()]);

const read = (bytes: Uint8Array, buffers?: Uint8Array[]) =>
  unpickle(bytes, { where: 'test.pkl', whitelist: WHITELIST, ...(buffers && { buffers }) });

function arrayOf(value: PickleValue): { shape: readonly number[]; values: number[]; type: string } {
  const array = asHostArray(value, 'array', 'test');
  return { shape: array.shape, values: Array.from(array.values), type: array.describe() };
}

describe('unpickle', () => {
  it('reads numpy 1 and 2 arrays of protocols 2, 4 and 5 (C and Fortran order, both byte orders, out-of-band buffers)', () => {
    expect(arrayOf(read(hex(PICKLES.float32Protocol2)))).toEqual({
      shape: [2, 3],
      values: [0, 1, 2, 3, 4, 5],
      type: 'numpy.ndarray float32 [2, 3]',
    });
    expect(arrayOf(read(hex(PICKLES.int64FortranProtocol4))).values).toEqual([-3, -2, -1, 0, 1, 2]);
    const halves = { shape: [4], values: [0, 0.5, 1, 1.5], type: 'numpy.ndarray float64 [4]' };
    expect(arrayOf(read(hex(PICKLES.outOfBandProtocol5), [hex(PICKLES.outOfBandBuffer)]))).toEqual(halves);
    expect(arrayOf(read(hex(PICKLES.inBandProtocol5)))).toEqual(halves);
    expect(read(hex(PICKLES.scalarProtocol4))).toBe(2.5);
    expect(arrayOf(read(hex(PICKLES.numpy2Protocol4)))).toEqual({
      shape: [2, 2],
      values: [0, 1, 2, 3],
      type: 'numpy.ndarray float32 [2, 2]',
    });
    expect(arrayOf(read(hex(PICKLES.numpy2OutOfBandProtocol5), [hex(PICKLES.numpy2OutOfBandBuffer)])).values).toEqual([
      0, 1, 2,
    ]);
    expect(read(hex(PICKLES.float32Protocol2))).toBeInstanceOf(Object);
  });

  it("reads Python 2's byte strings as latin-1, one character per byte", () => {
    // PROTO 2, SHORT_BINSTRING of the bytes 0x80 0x9f 0xff, STOP
    const text = read(new Uint8Array([0x80, 2, 0x55, 3, 0x80, 0x9f, 0xff, 0x2e])) as string;
    expect(Array.from(text, (c) => c.charCodeAt(0))).toEqual([0x80, 0x9f, 0xff]);
  });

  it('needs the out-of-band buffers a protocol-5 pickle names', () => {
    expect(() => read(hex(PICKLES.outOfBandProtocol5))).toThrow(/byte \d+: NEXT_BUFFER: expected out-of-band buffer 0/);
  });

  it('reads plain containers, numbers and strings as protocols 2 and 4 write them', () => {
    for (const pickle of [PICKLES.plainProtocol2, PICKLES.plainProtocol4]) {
      const value = read(hex(pickle)) as Map<string, PickleValue>;
      expect(value.get('a')).toEqual([1, -2, 2n ** 70n, 1.5, null, true, false]);
      expect(value.get('b')).toEqual([new Uint8Array([0x78, 0x79]), 'é']);
      expect(Object.isFrozen(value.get('b'))).toBe(true);
      expect(value.get('c')).toEqual(new Set([1, 2]));
      expect(value.get('d')).toEqual(new Set([3]));
      expect(value.get('e')).toEqual(new Map([['k', 1]]));
    }
  });

  it('refuses os.system and builtins.eval, naming them, before anything is called', () => {
    expect(() => read(hex(PICKLES.osSystemProtocol2))).toThrow(UnsafePickleError);
    expect(() => read(hex(PICKLES.osSystemProtocol2))).toThrow(
      'test.pkl: byte 2: GLOBAL names the Python global posix.system, which is not on the whitelist',
    );
    expect(() => read(hex(PICKLES.evalProtocol4))).toThrow(
      /byte 29: STACK_GLOBAL names the Python global builtins\.eval/,
    );
    const refused = (() => {
      try {
        read(hex(PICKLES.evalProtocol4));
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(DataError);
    expect((refused as Error).name).toBe('UnsafePickleError');
  });

  it('refuses to call a global the whitelist only lets a pickle name', () => {
    // GLOBAL builtins.dict, EMPTY_TUPLE, REDUCE, STOP
    const callDict = new Uint8Array([0x80, 2, ...new TextEncoder().encode('cbuiltins\ndict\n'), 0x29, 0x52, 0x2e]);
    expect(() => read(callDict)).toThrow(/REDUCE calls builtins\.dict, which this reader only lets a pickle name/);
    // GLOBAL numpy.float64, EMPTY_TUPLE, NEWOBJ, STOP
    const newFloat = new Uint8Array([0x80, 2, ...new TextEncoder().encode('cnumpy\nfloat64\n'), 0x29, 0x81, 0x2e]);
    expect(() => read(newFloat)).toThrow(UnsafePickleError);
  });

  it('names the byte offset of truncated and malformed input', () => {
    const whole = hex(PICKLES.plainProtocol4);
    expect(() => read(whole.subarray(0, 20))).toThrow(/test\.pkl: byte \d+: truncated pickle/);
    expect(() => read(new Uint8Array([0x80, 4, 0xff]))).toThrow('test.pkl: byte 2: unknown or unsupported opcode 0xff');
    expect(() => read(new Uint8Array([0x80, 4, 0x2e]))).toThrow('test.pkl: byte 2: malformed pickle: expected a value');
    expect(() => read(new TextEncoder().encode('(dp0\n.'))).toThrow(/expected a pickle of protocol 2 to 5/);
  });

  const readOrDataError = (bytes: Uint8Array) => {
    try {
      read(bytes, [new Uint8Array(32)]);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
    }
  };

  it('throws nothing but DataError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        readOrDataError(new Uint8Array([0x80, 4, ...tail]));
        readOrDataError(tail);
      }),
      { numRuns: 2000 },
    );
  });

  it('throws nothing but DataError on truncated or mutated real pickles', () => {
    const pickles = Object.values(PICKLES).map(hex);
    fc.assert(
      fc.property(
        fc.constantFrom(...pickles),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (pickle, cut, mutations) => {
          readOrDataError(pickle.subarray(0, cut % (pickle.length + 1)));
          const mutated = pickle.slice();
          for (const [at, byte] of mutations) mutated[at % mutated.length] = byte;
          readOrDataError(mutated);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads arrays into host arrays with the saved element type', () => {
    const value = read(hex(PICKLES.int64FortranProtocol4));
    expect(asHostArray(value, 'array', 'test')).toBeInstanceOf(HostArray);
    expect(asHostArray(value, 'array', 'test').elementType).toEqual({ kind: 'i', size: 8, littleEndian: true });
  });
});
