import { buildApp } from './tideline-app.js';

// Run by the CDK CLI (cdk.json: `npx tsx infra/aws/app.ts`), which sets CDK_OUTDIR, so the app synthesizes on exit.
buildApp();
