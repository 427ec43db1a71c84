import { parseArgs } from 'node:util';
import { positiveInt, UsageError, type Command } from '../command.js';
import { startLocalRuntime } from '../../local/runtime.js';

/**
 * `tideline start` (`npm start`): Tideline on one machine until Ctrl-C. The first Ctrl-C stops
 * cleanly (the batch in flight finishes and is committed; anything not yet delivered waits in the
 * stream for the next start); a second one exits at once, and the next start redelivers.
 */
export default {
  summary: 'run Tideline locally until Ctrl-C (--port N, --sensors N, --rate R, --backfill-days D)',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        sensors: { type: 'string' },
        rate: { type: 'string' },
        'backfill-days': { type: 'string' },
      },
    });
    const nonNegative = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      if (v === '0') return 0;
      return positiveInt(v, name);
    };
    const port = nonNegative(values.port, '--port');
    if (port !== undefined && port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
    // EMF metric lines and per-batch logs would bury the start-up lines; set these to see them.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    // Dead letters and their reasons are on the dashboard; the terminal gets errors only.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const runtime = await startLocalRuntime({
      settings: {
        port,
        sensors: nonNegative(values.sensors, '--sensors'),
        rate: nonNegative(values.rate, '--rate'),
        backfillDays: nonNegative(values['backfill-days'], '--backfill-days'),
      },
      log,
    });
    log(`Tideline is running · data in ${runtime.dataDir}`);
    log(`  API        ${runtime.url}   (send x-api-key: ${runtime.apiKey})`);
    log(`  dashboard  ${runtime.url}/#key=${runtime.apiKey}`);
    log(`  health     ${runtime.url}/health`);
    log(`  simulator  ${runtime.settings.sensors} sensors, ${runtime.settings.rate} readings/s · Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = () => {
        if (stopping) {
          log('stopping now; undelivered records are redelivered on the next start');
          process.exit(130);
        }
        stopping = true;
        log('stopping: finishing the batch in flight (Ctrl-C again to quit at once)');
        runtime.stop().then(resolve, (e: unknown) => {
          log(`stop failed: ${(e as Error).message}`);
          resolve();
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // Closing the terminal: without a handler node exits at once and leaves DynamoDB Local behind.
      process.on('SIGHUP', onSignal);
    });
    log('stopped');
    return 0;
  },
} satisfies Command;
