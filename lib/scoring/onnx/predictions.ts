import type { Tensor } from 'onnxruntime-node';

/**
 * One prediction string per row from an output tensor of shape [N] or [N, ...]: a scalar per row
 * prints as the value; several values per row (e.g. [N, k] scores) print as a JSON list.
 */
export function predictionStrings(output: Tensor, rowCount: number, outputName: string): string[] {
  if (output.dims.length === 0 || output.dims[0] !== rowCount) {
    throw new Error(`model output '${outputName}' has shape [${output.dims.join(', ')}], expected ${rowCount} rows first`);
  }
  const stride = output.dims.slice(1).reduce((a, b) => a * b, 1);
  const format = formatterFor(output.type);
  const data = output.data as ArrayLike<unknown>;
  const out = new Array<string>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    if (stride === 1) {
      out[r] = format(data[r]);
    } else {
      const parts: string[] = [];
      for (let j = 0; j < stride; j++) {
        const v = data[r * stride + j];
        parts.push(typeof v === 'string' ? JSON.stringify(v) : format(v));
      }
      out[r] = `[${parts.join(',')}]`;
    }
  }
  return out;
}

function formatterFor(type: Tensor.Type): (v: unknown) => string {
  if (type === 'float32') return (v) => formatFloat32(v as number);
  // ONNX bool tensors come back as bytes; print them the way pandas writes booleans.
  if (type === 'bool') return (v) => (v ? 'True' : 'False');
  return (v) => String(v);
}

/**
 * The shortest decimal that reads back as the same float32, as numpy prints float32 values:
 * 0.1f would otherwise print as 0.10000000149011612.
 */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(Number(value.toPrecision(9)));
}
