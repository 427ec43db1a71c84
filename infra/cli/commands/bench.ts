import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { meetsTarget, type Benchmark, type Figure } from '../../bench/benchmark.js';
import type { Command } from '../command.js';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

export default {
  summary: 'run every benchmark and print each figure beside its target (--json, --quick, --only NAME)',
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
    const files = (await readdir(BENCH_DIR)).filter((f) => f.endsWith('.bench.ts') && (!values.only || f.startsWith(values.only))).sort();
    const figures: Figure[] = [];
    const log = (line: string) => process.stderr.write(`${line}\n`);
    for (const f of files) {
      const bench = ((await import(pathToFileURL(join(BENCH_DIR, f)).href)) as { default: Benchmark }).default;
      log(`· ${bench.title}${values.quick ? ' (quick)' : ''}`);
      const out = await bench.run({ quick: values.quick, log });
      figures.push(...out);
      if (values.json) for (const fig of out) process.stdout.write(`${JSON.stringify({ name: fig.name, value: fig.value, unit: fig.unit, target: fig.target })}\n`);
    }
    if (!values.json) {
      const rows = figures.map((f) => [f.name, formatValue(f.value), f.unit, f.target, verdict(meetsTarget(f))]);
      const head = ['figure', 'value', 'unit', 'target', ''];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [head, ...rows]) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
    }
    return 0;
  },
} satisfies Command;

function formatValue(v: number): string {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(4)));
}

function verdict(ok: boolean | null): string {
  return ok === null ? '' : ok ? 'met' : 'NOT MET';
}
