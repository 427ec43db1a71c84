#!/usr/bin/env -S npx tsx
import { parseArgs } from 'node:util';
import { start } from './start.js';

const USAGE = `usage: tideline <command> [options]

commands:
  start   run Tideline locally on embedded defaults (--sensors N, --minutes M)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { sensors: { type: 'string', default: '200' }, minutes: { type: 'string', default: '10' } } });
      await start({ sensors: positiveInt(values.sensors, '--sensors'), minutes: positiveInt(values.minutes, '--minutes') });
      return 0;
    }
    default:
      process.stderr.write(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
      return 2;
  }
}

function positiveInt(v: string | undefined, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tideline: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
