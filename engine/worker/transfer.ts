/**
 * The ArrayBuffers that can move to another thread instead of being copied: only those a view
 * covers whole. A Buffer cut from Node's shared pool (small allocations) is copied as usual.
 */
export function transferable(views: readonly Uint8Array[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    if (view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) buffers.add(view.buffer);
  }
  return [...buffers];
}
