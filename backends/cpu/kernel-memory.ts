/**
 * Blocks of the cpu kernel's `WebAssembly.Memory` (shared, or of fixed size), where cpu tensors live so that the
 * kernel reads and writes them in place. Each block starts at a multiple of 64 bytes (a cache
 * line: copies and SIMD loads at other addresses are several times slower). A block is handed
 * out as a Float32Array view; the cpu backend counts the tensors that share it and frees it
 * when the last is disposed, and a FinalizationRegistry frees the blocks of tensors that were
 * never disposed once the garbage collector takes their view.
 */

/** `bytes` rounded up to a multiple of 64 (a cache line). */
export function alignUp(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

interface Block {
  readonly offset: number;
  readonly bytes: number;
  /** Tensors sharing the block; it is freed when this falls to 0. */
  owners: number;
}

const PAGE = 65536;

/** An allocator over a WebAssembly memory, from byte `start` up to `limit` bytes (it grows the memory up to there). */
export class KernelMemory {
  private top: number;
  /** Free blocks by size in bytes. */
  private readonly free = new Map<number, number[]>();
  private freeBytes = 0;
  private readonly blocks = new WeakMap<Float32Array, Block>();
  /** Every buffer the memory has had: a view over one of them lies in this memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly finalizer = new FinalizationRegistry<Block>((block) => this.freeBlock(block));
  private used = 0;
  /**
   * Fill freed blocks with NaN, so that a tensor read after it was disposed shows NaNs
   * instead of another tensor's values (on under vitest; costs a pass over each block).
   */
  private readonly poisonFreed: boolean;

  constructor(
    private readonly memory: WebAssembly.Memory,
    start: number,
    private readonly limit: number,
  ) {
    this.top = alignUp(start);
    this.buffers.add(memory.buffer);
    this.poisonFreed = typeof process !== 'undefined' && Boolean(process.env?.VITEST);
  }

  /**
   * A block of `count` floats (contents undefined), or undefined when the memory is full.
   * It stays allocated until {@link release} drops its last owner (or the view is collected).
   */
  allocate(count: number): Float32Array | undefined {
    const bytes = alignUp(Math.max(1, count) * 4);
    const offset = this.take(bytes);
    if (offset === undefined) return undefined;
    const view = new Float32Array(this.memory.buffer, offset, count);
    const block: Block = { offset, bytes, owners: 1 };
    this.blocks.set(view, block);
    this.finalizer.register(view, block, view);
    this.used += bytes;
    return view;
  }

  /** The byte offset of `view` when it lies in this memory (a block or part of one), else undefined. */
  offsetOf(view: Float32Array): number | undefined {
    return this.buffers.has(view.buffer) ? view.byteOffset : undefined;
  }

  /** Whether `view` is a block of this memory (as {@link allocate} returned it). */
  owns(view: Float32Array): boolean {
    return this.blocks.has(view);
  }

  /** One more tensor shares the block `view`. */
  retain(view: Float32Array): void {
    const block = this.blocks.get(view);
    if (block) block.owners += 1;
  }

  /** One tensor fewer shares the block `view`; the last one frees it. */
  release(view: Float32Array): void {
    const block = this.blocks.get(view);
    if (!block || block.owners <= 0) return;
    block.owners -= 1;
    if (block.owners > 0) return;
    this.finalizer.unregister(view);
    this.blocks.delete(view);
    this.freeBlock(block);
  }

  /** Bytes of the blocks in use. */
  get usedBytes(): number {
    return this.used;
  }

  /** Bytes the memory may still hand out (free blocks and the room above the top). */
  get availableBytes(): number {
    return this.freeBytes + this.limit - this.top;
  }

  private freeBlock(block: Block): void {
    if (this.poisonFreed) new Float32Array(this.memory.buffer, block.offset, block.bytes / 4).fill(Number.NaN);
    const list = this.free.get(block.bytes);
    if (list) list.push(block.offset);
    else this.free.set(block.bytes, [block.offset]);
    this.freeBytes += block.bytes;
    this.used -= block.bytes;
  }

  /** An offset for `bytes`: a free block of that size, else above the top, else a merged free block. */
  private take(bytes: number): number | undefined {
    const reused = this.free.get(bytes)?.pop();
    if (reused !== undefined) {
      this.freeBytes -= bytes;
      return reused;
    }
    if (this.top + bytes <= this.limit) {
      const offset = this.top;
      this.top += bytes;
      this.grow(this.top);
      return offset;
    }
    this.mergeFree();
    for (const [size, offsets] of this.free) {
      if (size < bytes || offsets.length === 0) continue;
      const offset = offsets.pop() as number;
      this.freeBytes -= size;
      if (size > bytes) this.addFree(offset + bytes, size - bytes);
      return offset;
    }
    if (this.top + bytes <= this.limit) return this.take(bytes);
    return undefined;
  }

  /** Joins adjacent free blocks, and gives back to the top those that end at it. */
  private mergeFree(): void {
    const spans = [...this.free].flatMap(([size, offsets]) => offsets.map((offset) => [offset, size] as const));
    spans.sort((a, b) => a[0] - b[0]);
    this.free.clear();
    this.freeBytes = 0;
    const merged: [number, number][] = [];
    for (const [offset, size] of spans) {
      const last = merged.at(-1);
      if (last && last[0] + last[1] === offset) last[1] += size;
      else merged.push([offset, size]);
    }
    const end = merged.at(-1);
    if (end && end[0] + end[1] === this.top) {
      this.top = end[0];
      merged.pop();
    }
    for (const [offset, size] of merged) this.addFree(offset, size);
  }

  private addFree(offset: number, bytes: number): void {
    const list = this.free.get(bytes);
    if (list) list.push(offset);
    else this.free.set(bytes, [offset]);
    this.freeBytes += bytes;
  }

  /** Grows the memory to hold `bytes`, by at least a quarter at a time (each growth costs a new buffer). */
  private grow(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const wanted = Math.min(this.limit, Math.max(bytes, have + have / 4));
    this.memory.grow(Math.ceil((wanted - have) / PAGE));
    this.buffers.add(this.memory.buffer);
  }
}
