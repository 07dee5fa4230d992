import { writeFileSync } from 'node:fs';

/**
 * Writes a benchmark's figures as one JSON object to the file named by BENCH_JSON, when set, so
 * tools can read them (names and units: docs/benchmarks.md).
 */
export function writeBenchJson(benchmark: string, figures: Record<string, unknown>): void {
  const file = process.env.BENCH_JSON;
  if (!file) return;
  writeFileSync(file, `${JSON.stringify({ benchmark, measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
  console.log(`figures written to ${file}`);
}
