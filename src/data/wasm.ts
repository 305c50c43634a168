/**
 * The WebAssembly kernels' common ground: the part of the WebAssembly API they use (TypeScript's lib here has no
 * DOM, where its types live) and their compiled modules. See wasm/README.md.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  RuntimeError: abstract new () => Error;
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Whether e is a WebAssembly trap (a Rust panic in a WebAssembly module is one: "unreachable"). */
export function isWasmTrap(e: unknown): e is Error {
  return wasm !== undefined && e instanceof wasm.RuntimeError;
}

/** The size of a WebAssembly memory page. */
export const WASM_PAGE = 65536;

const compiled = new Map<string, object | null>();

/**
 * An instance of a kernel (its binary as base64) on a memory of its own, or undefined where WebAssembly (with SIMD)
 * cannot run it: then its JavaScript twin does the work. The module is compiled once per thread.
 */
export function instantiateKernel<T>(base64: string, initialPages: number): { memory: WasmMemory; exports: T } | undefined {
  if (!wasm) return undefined;
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      module = new wasm.Module(Buffer.from(base64, 'base64'));
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  if (module === null) return undefined;
  try {
    const memory = new wasm.Memory({ initial: initialPages });
    const instance = new wasm.Instance(module, { env: { memory } });
    return { memory, exports: instance.exports as T };
  } catch {
    return undefined;
  }
}

/** Grows memory to at least this many bytes (a RangeError when it cannot); views on it must then be made again. */
export function growTo(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
}

/** x rounded up to a multiple of `to`: where an array of `to`-byte elements may start in a memory. */
export function alignUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
