import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource, `<Arn of target>` +
 * `suffix` (e.g. `/readings/*`), on `scope` (the role whose policy holds it) — that finding only,
 * never the rule as a whole, so a new wildcard elsewhere still fails synth.
 */
export function acknowledgeWildcardResource(scope: IConstruct, target: IConstruct, suffix: string, reason: string): void {
  const cfn = target.node.defaultChild as CfnElement | undefined;
  if (!cfn) throw new Error(`${target.node.path} has no CloudFormation resource to name in an acknowledgment`);
  const logicalId = Stack.of(target).resolve(cfn.logicalId) as string;
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>${suffix}]`, reason });
}
