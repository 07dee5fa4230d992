import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { formatFloat32, predictionStrings } from '../../../lib/scoring/onnx/predictions';

describe('predictionStrings', () => {
  it('prints one value per row for [N] and [N,1], a JSON list for [N,k]', () => {
    expect(predictionStrings(new Tensor('int64', BigInt64Array.from([0n, 2n]), [2]), 2, 'y')).toEqual(['0', '2']);
    expect(predictionStrings(new Tensor('float64', Float64Array.from([0.1, 2]), [2, 1]), 2, 'y')).toEqual(['0.1', '2']);
    expect(predictionStrings(new Tensor('float32', Float32Array.from([0.1, 0.9, 1, 0]), [2, 2]), 2, 'y')).toEqual(['[0.1,0.9]', '[1,0]']);
    expect(predictionStrings(new Tensor('string', ['a', 'b"c'], [1, 2]), 1, 'y')).toEqual(['["a","b\\"c"]']);
    expect(predictionStrings(new Tensor('bool', Uint8Array.from([1, 0]), [2]), 2, 'y')).toEqual(['True', 'False']);
  });

  it('refuses an output whose first dimension is not the row count', () => {
    expect(() => predictionStrings(new Tensor('float32', new Float32Array(3), [3]), 2, 'y')).toThrow("model output 'y' has shape [3], expected 2 rows first");
  });
});

describe('formatFloat32', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatFloat32(Math.fround(0.6) - Math.fround(0.5))).toBe('0.100000024');
    expect(formatFloat32(Math.fround(1e-8))).toBe('1e-8');
    expect(formatFloat32(3)).toBe('3');
    expect(formatFloat32(NaN)).toBe('NaN');
    for (const v of [Math.fround(Math.PI), Math.fround(123456.789), Math.fround(-7.1e-20)]) {
      expect(Math.fround(Number(formatFloat32(v)))).toBe(v);
    }
  });
});
