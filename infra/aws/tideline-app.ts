import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './settings.js';
import { TidelineStack } from './tideline-stack.js';

/** Context parameter naming the stack (and so its Glue database and Athena workgroup). */
export const STACK_NAME_CONTEXT = 'stackName';
export const DEFAULT_STACK_NAME = 'Tideline';

/**
 * Builds the Tideline app: settings from context (cdk.json and `-c key=value`), the region from
 * AWS_REGION, and cdk-nag's AwsSolutions pack, which fails synth on any finding that is not
 * acknowledged (with its reason) next to the resource it concerns.
 */
export function buildApp(app: App = new App()): { app: App; stack: TidelineStack } {
  const stackName: unknown = app.node.tryGetContext(STACK_NAME_CONTEXT) ?? DEFAULT_STACK_NAME;
  const stack = new TidelineStack(app, String(stackName), {
    ...settingsFromContext(app.node),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.AWS_REGION ?? process.env.CDK_DEFAULT_REGION },
    description: 'Tideline: real-time IoT analytics with historical context',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
