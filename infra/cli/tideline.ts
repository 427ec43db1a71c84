#!/usr/bin/env -S npx tsx
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, type Command } from './command.js';

// Each command is a file in commands/, so adding one touches nothing else.
const COMMANDS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'commands');

async function loadCommands(): Promise<Map<string, Command>> {
  const files = (await readdir(COMMANDS_DIR)).filter((f) => f.endsWith('.ts')).sort();
  const commands = new Map<string, Command>();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(COMMANDS_DIR, f)).href)) as { default: Command };
    commands.set(f.replace(/\.ts$/, ''), mod.default);
  }
  return commands;
}

async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const usage = `usage: tideline <command> [options]\n\ncommands:\n${[...commands].map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}\n`;
  const [name, ...rest] = argv;
  const command = name ? commands.get(name) : undefined;
  if (!command) {
    process.stderr.write(name && name !== '--help' ? `unknown command "${name}"\n${usage}` : usage);
    return name === '--help' ? 0 : 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`tideline: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
