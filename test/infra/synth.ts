import { App, type AppProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/aws/constructs/tideline-function.js';
import { settingsFromContext } from '../../infra/aws/settings.js';
import type { TidelineSettings } from '../../infra/aws/stack-props.js';
import { TidelineStack } from '../../infra/aws/tideline-stack.js';

/** cdk.json as cloned: the app command and the context every synth starts from. */
export const CDK_JSON = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { app: string; context: Record<string, unknown> };

/** Cloud assemblies of this test file (CDK would otherwise leave one per synth in the temp folder). */
let assemblies: string | undefined;
let count = 0;

/** Removes this test file's cloud assemblies: `afterAll(removeAssemblies)`. */
export function removeAssemblies(): void {
  if (assemblies) rmSync(assemblies, { recursive: true, force: true });
  assemblies = undefined;
}

/** An App whose cloud assembly goes under this test file's temporary folder. */
export function testApp(props: AppProps = {}): App {
  assemblies ??= mkdtempSync(join(tmpdir(), 'tideline-infra-'));
  return new App({ outdir: join(assemblies, String(count++)), ...props });
}

export const ENV = { account: '123456789012', region: 'us-east-1' } as const;

/** A configuration exercising every optional path: SCRAM, a VPC, JWT, an alarm e-mail. */
export const EVERY_OPTION: TidelineSettings = {
  mskClusterArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/plant-7/4f7a1c2e-1111-2222-3333-444455556666-3',
  kafkaAuth: 'scram',
  kafkaScramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_tideline-AbCdEf',
  kafkaScramKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  apiAuth: 'jwt',
  jwtIssuer: 'https://login.example.com/',
  jwtAudience: ['tideline-api'],
  alarmEmail: 'ops@example.com',
};

/**
 * The stack as `cdk synth` builds it (cdk.json's context and feature flags; `settings` as if given
 * with -c), with bundling skipped
 * and CloudFormation's built-in template validation off, so template tests take a second or two.
 */
export function synthStack(settings: TidelineSettings = {}, context: Record<string, unknown> = {}): { stack: TidelineStack; template: Template } {
  const app = testApp({
    context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
  const stack = new TidelineStack(app, 'Tideline', { ...settingsFromContext(app.node), ...settings, env: ENV });
  return { stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

/** Every resource of a type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
