/**
 * What every kernel's WGSL starts with: the uniform slot (64 words at binding 0, read with
 * `param(i)` and `paramF(i)`), NaN tests, and the flat thread index of a linear dispatch.
 */

/** Threads per workgroup of the linear (one thread per element) kernels. */
export const LINEAR_WORKGROUP = 256;

/** The largest rank the strided kernels take after merging axes. */
export const MAX_RANK = 8;

const bits = new DataView(new ArrayBuffer(4));

/** The bits of `x` as a float32, for a uniform word that the kernel reads with `paramF`. */
export function f32Bits(x: number): number {
  bits.setFloat32(0, x, true);
  return bits.getUint32(0, true);
}

/** The uniform slot and helpers. */
export const PRELUDE = /* wgsl */ `
@group(0) @binding(0) var<uniform> params: array<vec4<u32>, 16>;
fn param(i: u32) -> u32 { return params[i / 4u][i % 4u]; }
fn paramF(i: u32) -> f32 { return bitcast<f32>(param(i)); }
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// Through a let: WGSL refuses NaN and infinity as constant expressions.
fn nanF() -> f32 { let bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn infinityF() -> f32 { let bits = 0x7f800000u; return bitcast<f32>(bits); }
`;

/** Kernels binding at most this many storage buffers give each its own bind group (see {@link bindings}). */
export const MAX_SPLIT_BINDINGS = 3;

/**
 * The storage bindings: `inputs` read-only, then `outputs` read-write (an input named
 * `name:u32` holds u32). A kernel with at most {@link MAX_SPLIT_BINDINGS} of them binds each
 * buffer in a bind group of its own (groups 1, 2, 3), which the runtime makes once per buffer;
 * one with more binds them all in group 1, made once per combination of buffers.
 */
export function bindings(inputs: readonly string[], outputs: readonly string[]): string {
  const split = inputs.length + outputs.length <= MAX_SPLIT_BINDINGS;
  const at = (index: number) => (split ? `@group(${index + 1}) @binding(0)` : `@group(1) @binding(${index})`);
  const read = inputs.map((entry, i) => {
    const [name, type = 'f32'] = entry.split(':');
    return `${at(i)} var<storage, read> ${name}: array<${type}>;`;
  });
  const written = outputs.map((name, i) => `${at(inputs.length + i)} var<storage, read_write> ${name}: array<f32>;`);
  const lines = [...read, ...written];
  return `${lines.join('\n')}\n`;
}

/** The entry point of a linear kernel: `body` runs with `i`, the flat index, below `count`. */
export function linearMain(count: string, body: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${LINEAR_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.y * groups.x * ${LINEAR_WORKGROUP}u + gid.x;
  if (i >= ${count}) { return; }
  ${body}
}
`;
}

/**
 * WGSL that splits the flat output index `i` over a shape (its rank at uniform word 1, its
 * sizes from word `shapeWord`) and adds each axis's index times a stride to each offset.
 * @param offsets - per offset: its variable, the word its strides start at, and its initial value
 */
export function stridedOffsets(shapeWord: number, offsets: readonly (readonly [string, number, string])[]): string {
  const declarations = offsets.map(([name, , initial]) => `  var ${name} = ${initial};`).join('\n');
  const steps = offsets.map(([name, strides]) => `    ${name} += index * param(${strides}u + axis);`).join('\n');
  return /* wgsl */ `
  var rest = i;
${declarations}
  let rank = param(1u);
  for (var d = 0u; d < rank; d++) {
    let axis = rank - 1u - d;
    let size = param(${shapeWord}u + axis);
    let index = rest % size;
    rest = rest / size;
${steps}
  }`;
}
