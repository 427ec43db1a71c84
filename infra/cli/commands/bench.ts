import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_BUDGET_MS, BENCH_FIGURES, benchTable, checkFigures, type Benchmark, type Figure } from '../../bench/benchmark.js';
import type { Command } from '../command.js';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

/**
 * `npm run bench`: runs every infra/bench/*.bench.ts one after another in this process and prints
 * each figure beside its target (or, with --json, one {"name","value","unit","target"} object per
 * line for exactly the names of BENCH_FIGURES, value null when not measured; further figures a
 * benchmark reports appear in the table only). Progress, each benchmark's
 * time and the process's peak RSS go to stderr. Exits 1 when a figure is missing or the run
 * overran its budget (10 minutes; 1 with --quick), so CI notices.
 */
export default {
  summary: 'run every benchmark and print each figure beside its target (--json, --quick, --only NAME)',
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
    const files = (await readdir(BENCH_DIR)).filter((f) => f.endsWith('.bench.ts') && (!values.only || f.startsWith(values.only))).sort();
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const figures: Figure[] = [];
    const started = performance.now();
    for (const f of files) {
      const bench = ((await import(pathToFileURL(join(BENCH_DIR, f)).href)) as { default: Benchmark }).default;
      log(`· ${bench.title}${values.quick ? ' (quick)' : ''}`);
      const t0 = performance.now();
      const out = await bench.run({ quick: values.quick, log });
      log(`  ${f}: ${((performance.now() - t0) / 1000).toFixed(1)} s, process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
      figures.push(...out);
      // --json carries exactly the issues' names; a benchmark's further figures are for the table.
      if (values.json) {
        for (const fig of out) {
          if (fig.name in BENCH_FIGURES) process.stdout.write(`${JSON.stringify({ name: fig.name, value: fig.value, unit: fig.unit, target: fig.target })}\n`);
          else log(`  ${fig.name} = ${fig.value} ${fig.unit} (target ${fig.target}; in the table, not in --json)`);
        }
      }
    }
    // With --only, only that benchmark's figures are expected.
    const { missing, unknown } = checkFigures(figures, values.only ? [] : undefined);
    if (values.json) {
      for (const name of missing) {
        const { unit, target } = BENCH_FIGURES[name as keyof typeof BENCH_FIGURES];
        process.stdout.write(`${JSON.stringify({ name, value: null, unit, target })}\n`);
      }
    } else {
      process.stdout.write(`${benchTable(figures, missing)}\n`);
    }
    const elapsed = performance.now() - started;
    const budget = values.quick ? BENCH_BUDGET_MS.quick : BENCH_BUDGET_MS.full;
    log(`${files.length} benchmark${files.length === 1 ? '' : 's'} in ${(elapsed / 1000).toFixed(1)} s (budget ${budget / 1000} s)`);
    if (unknown.length > 0 && !values.json) log(`further figures (in the table, not in --json): ${unknown.join(', ')}`);
    if (missing.length > 0) log(`not measured: ${missing.join(', ')} (no benchmark in infra/bench reports them)`);
    if (elapsed > budget) log(`over budget: ${(elapsed / 1000).toFixed(1)} s > ${budget / 1000} s`);
    return missing.length > 0 || elapsed > budget ? 1 : 0;
  },
} satisfies Command;
