import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../../lib/scoring/onnx/model';
import { releaseInferenceSessions } from '../../../lib/scoring/onnx/sessionCache';
import { errorOf, IRIS_DATA_DIR, IRIS_MODEL_DIR, REPO, scoreAll, tempDir, writeFile } from './helpers';

interface ScoreScript {
  init(context: object): Promise<void>;
  run(miniBatch: string[], context: object): Promise<unknown[]>;
}

// The sample is plain CommonJS, loaded the way the scripted runtime loads user code.
const script = require(path.join(REPO, 'samples', 'iris', 'score', 'score.js')) as ScoreScript;
const logs: string[] = [];
const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
afterAll(releaseInferenceSessions);

describe('samples/iris/score/score.js', () => {
  const csvFiles = readdirSync(IRIS_DATA_DIR).filter((f) => f.endsWith('.csv')).sort().map((f) => path.join(IRIS_DATA_DIR, f));

  it('returns one [file, rows, per-class counts..., uncertain] element per file, matching the no-code scorer', async () => {
    await script.init({ modelDir: IRIS_MODEL_DIR, params: {}, logger });
    const results = await script.run(csvFiles, { modelDir: IRIS_MODEL_DIR, params: {}, logger });
    expect(results).toHaveLength(csvFiles.length);
    const model = await loadOnnxModel(IRIS_MODEL_DIR);
    for (const [i, file] of csvFiles.entries()) {
      const counts = [0, 0, 0, 0];
      for (const line of await scoreAll(model, file)) counts[Number(line.split(',')[1])]!++;
      expect(results[i]).toEqual([path.basename(file), 50, ...counts]);
    }
    expect(logs.some((l) => l.includes('iris model loaded'))).toBe(true);
  });

  it('uses the min_confidence literal input', async () => {
    const context = { modelDir: IRIS_MODEL_DIR, params: { min_confidence: '1.01' }, logger };
    const [result] = await script.run([csvFiles[0]!], context);
    expect(result).toEqual([path.basename(csvFiles[0]!), 50, 0, 0, 0, 50]);
    expect(await errorOf(script.run([csvFiles[0]!], { ...context, params: { min_confidence: 'high' } }))).toBe("min_confidence must be a number, got 'high'");
  });

  it('fails the mini-batch with a message naming the file and line', async () => {
    const bad = writeFile(tempDir(), 'bad.csv', 'sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,x,3,4\n');
    expect(await errorOf(script.run([bad], { modelDir: IRIS_MODEL_DIR, params: {}, logger }))).toBe("bad.csv: line 3: 'x' is not a number");
  });
});
