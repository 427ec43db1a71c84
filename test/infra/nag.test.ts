import { Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/aws/tideline-app.js';
import { CDK_JSON, EVERY_OPTION, removeAssemblies, synthStack, testApp } from './synth.js';

afterAll(removeAssemblies);

/** Every acknowledgment recorded in the tree: construct path, rule id, reason. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // CDK records a plugin's rule id in its annotation namespace: `Annotation::AwsSolutions-…`.
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) out.push({ path: c.node.path, id: id.replace(/^Annotation::(?=AwsSolutions-)/, ''), reason });
    }
  }
  return out;
}

const violationsOf = (scope: IConstruct) =>
  new AwsSolutionsChecks().validateScope(scope).violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`);

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['as cloned (cdk.json defaults)', {}],
    ['with SCRAM, a VPC, JWT and an alarm e-mail', EVERY_OPTION],
  ])('finds nothing unacknowledged in the stack %s', (_name, settings) => {
    expect(violationsOf(synthStack(settings).stack)).toEqual([]);
  });

  it('flags a bucket without encryption, logging or TLS, so a clean report means something', () => {
    const stack = new Stack(testApp(), 'Probe');
    new s3.Bucket(stack, 'Plain');
    expect(violationsOf(stack)).toEqual(expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S1 /), expect.stringMatching(/^AwsSolutions-S10 /)]));
  });

  it('runs at synth in the app and fails it on an unacknowledged finding', () => {
    const app = testApp({ context: { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const { stack } = buildApp(app);
    new s3.Bucket(stack, 'Unreviewed');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('acknowledges single findings only, each with a reason a reviewer can check', () => {
    const acks = [...acknowledgments(synthStack().stack), ...acknowledgments(synthStack(EVERY_OPTION).stack)];
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      // A finding id (`Rule[Finding]`) or a named annotation, never a whole rule.
      expect(a.id, a.path).toMatch(/^(AwsSolutions-[A-Z]+\d+(\[.+\])?|Annotation::.+)$/);
      if (a.id.startsWith('AwsSolutions-IAM5')) expect(a.id, a.path).toMatch(/\[Resource::.+\]$/);
      expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(60);
    }
    const distinct = [...new Set(acks.map((a) => a.id.replace(/<([A-Za-z]+?)[0-9A-F]{8}\./g, '<$1.')))].sort();
    expect(distinct).toEqual([
      'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<FailedBatches.Arn>/*]',
      'AwsSolutions-IAM5[Resource::<LakeBucket.Arn>/changes/*]',
      'AwsSolutions-IAM5[Resource::<LakeBucket.Arn>/device_status/*]',
      'AwsSolutions-IAM5[Resource::<LakeBucket.Arn>/partials/*]',
      'AwsSolutions-IAM5[Resource::<LakeBucket.Arn>/readings/*]',
      'AwsSolutions-IAM5[Resource::<LakeQueryResults.Arn>/results/*]',
      'AwsSolutions-IAM5[Resource::<TablesAlerts.Arn>/index/*]',
      'AwsSolutions-S1',
    ]);
  });
});
