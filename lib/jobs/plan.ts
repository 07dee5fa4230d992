import type { InputFile } from './types';

/** Splits files into mini-batches of `size` files each, in input order (Azure ML: files, not bytes). */
export function planMiniBatches(files: InputFile[], size: number): InputFile[][] {
  const batches: InputFile[][] = [];
  for (let i = 0; i < files.length; i += size) batches.push(files.slice(i, i + size));
  return batches;
}

/** Items (files) in mini-batch `index`: known from the plan alone, so the orchestrator needs no I/O. */
export function itemsInMiniBatch(index: number, totalFiles: number, size: number): number {
  return Math.max(0, Math.min(size, totalFiles - index * size));
}

