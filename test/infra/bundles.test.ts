import { App } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/tideline-app.js';
import { CDK_JSON } from './synth.js';

/** Lambda's limit on a function's unzipped code, and the margin "well within" means here. */
const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;
const WELL_WITHIN = LAMBDA_UNZIPPED_LIMIT / 10;
const FUNCTIONS = ['Executor', 'Refresh', 'Compaction', 'Coordinator'] as const;

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(p) : statSync(p).size;
  }
  return total;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/**
 * Calls each bundle's handler in a fresh Node process, as Lambda would load it (ESM, its own
 * directory), with events that need no AWS: the coordinator answers GET /health; the others reject
 * an event of the wrong shape with EventShapeError. Loading the module is the real check: it
 * compiles parquet-wasm's .wasm from beside the bundle and builds every port at module scope.
 */
const PROBE = `
const [dir, name] = process.argv.slice(2);
const { handler } = await import(dir + '/index.mjs');
if (name === 'Coordinator') {
  const res = await handler({ version: '2.0', rawPath: '/health', headers: {}, requestContext: { http: { method: 'GET' } }, isBase64Encoded: false });
  console.log(JSON.stringify({ statusCode: res.statusCode, body: JSON.parse(res.body) }));
} else {
  try { await handler({ not: 'an event' }); console.log(JSON.stringify({ resolved: true })); }
  catch (e) { console.log(JSON.stringify({ error: e.name, message: e.message })); }
}
`;

describe('function bundles (real esbuild, as cdk synth builds them)', () => {
  let outdir: string;
  let assets: Record<string, string>;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'tideline-cdk-'));
    const app = new App({ outdir, context: CDK_JSON.context, builtinCloudFormationValidation: false });
    const { stack } = buildApp(app);
    const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties: { Code?: { S3Key: string } } }> };
    assets = {};
    for (const name of FUNCTIONS) {
      const [, fn] = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(`${name}Function`))!;
      assets[name] = join(outdir, `asset.${fn.Properties.Code!.S3Key.replace(/\.zip$/, '')}`);
    }
  }, 600_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.each(FUNCTIONS)('bundles %s well within the 250 MB unzipped limit', (name) => {
    const files = readdirSync(assets[name]).sort();
    const size = sizeOf(assets[name]);
    console.log(`${name}: ${mb(size)} unzipped (${files.map((f) => `${f} ${mb(statSync(join(assets[name], f)).size)}`).join(', ')})`);
    expect(files).toEqual(['index.mjs', 'index.mjs.map', 'parquet_wasm_bg.wasm']);
    expect(size).toBeLessThan(WELL_WITHIN);
  });

  it.each(FUNCTIONS)('loads the %s bundle and runs its handler, with no node_modules beside it', (name) => {
    const probe = join(outdir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const out = execFileSync(process.execPath, [probe, assets[name], name], {
      cwd: outdir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'probe',
        AWS_SECRET_ACCESS_KEY: 'probe',
        LAKE_BUCKET: 'tideline-lake-probe',
        ATHENA_DATABASE: 'tideline',
        ATHENA_WORKGROUP: 'Tideline-lake',
        EXECUTOR_FUNCTION_NAME: 'tideline-executor-probe',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
    });
    const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    if (name === 'Coordinator') expect(result).toMatchObject({ statusCode: 200, body: { status: 'ok' } });
    else expect(result).toMatchObject({ error: 'EventShapeError' });
  });

  it('keeps DuckDB (the local SQL engine) out of every bundle', () => {
    for (const name of FUNCTIONS) {
      const code = readFileSync(join(assets[name], 'index.mjs'), 'utf8');
      expect(code, name).not.toContain('@duckdb/node-bindings');
      expect(code, name).not.toContain('duckdb.node');
    }
  });
});
