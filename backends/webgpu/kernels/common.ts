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

/** The storage bindings: `inputs` read-only from binding 1, then `outputs` read-write. */
export function bindings(inputs: readonly string[], outputs: readonly string[], type = 'f32'): string {
  const read = inputs.map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<${type}>;`);
  const written = outputs.map(
    (name, i) => `@group(0) @binding(${inputs.length + i + 1}) var<storage, read_write> ${name}: array<f32>;`,
  );
  const lines = [...read, ...written];
  return lines.join('\n');
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
