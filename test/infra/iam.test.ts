import { afterAll, describe, expect, it } from 'vitest';
import { allIdentityStatements, permissionsOf } from './iam.js';
import { EVERY_OPTION, removeAssemblies, synthStack } from './synth.js';

afterAll(removeAssemblies);

const { template } = synthStack();
const withOptions = synthStack(EVERY_OPTION).template;

/** Lines of a role's permissions for one service, e.g. `s3:`. */
const of = (role: string, service: string, t = template) => permissionsOf(t, role).filter((l) => l.startsWith(service));

/** Tables a role may write to, and tables it may only read, from its DynamoDB grants. */
function tableAccess(role: string): { write: string[]; read: string[] } {
  const lines = of(role, 'dynamodb:');
  const tables = (action: string) => [...new Set(lines.filter((l) => l.startsWith(`dynamodb:${action} `)).map((l) => l.split(' ')[1]).filter((r) => !r.includes('/index/')))].sort();
  const write = tables('PutItem');
  return { write, read: tables('GetItem').filter((t) => !write.includes(t)) };
}

describe('IAM', () => {
  it.each([
    ['the default stack', template],
    ['the stack with every option', withOptions],
  ])('grants no wildcard action anywhere in %s', (_name, t) => {
    for (const s of allIdentityStatements(t)) {
      for (const action of [s.Action].flat()) expect(action, JSON.stringify(s)).not.toMatch(/\*/);
    }
  });

  it.each([
    ['the default stack', template],
    ['the stack with every option', withOptions],
  ])('uses Resource "*" in %s only for the MSK poller\'s network-interface calls, which take no resource scope', (_name, t) => {
    const starred = allIdentityStatements(t).filter((s) => [s.Resource].flat().includes('*'));
    expect(starred.map((s) => [s.Action].flat().sort())).toEqual([
      ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
    ]);
  });

  it('attaches no AWS managed policy unless the executor runs in a VPC, and then only the VPC access policy', () => {
    for (const r of Object.values(template.findResources('AWS::IAM::Role'))) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
    const managed = Object.values(withOptions.findResources('AWS::IAM::Role')).flatMap((r) => (r.Properties.ManagedPolicyArns ?? []) as unknown[]);
    expect(JSON.stringify(managed)).toBe(JSON.stringify([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] }]));
  });

  it('lets each function write only to its own log group', () => {
    for (const fn of ['Executor', 'Refresh', 'Compaction', 'Coordinator']) {
      expect(of(`${fn}Role`, 'logs:')).toEqual([`logs:CreateLogStream <${fn}Logs>`, `logs:PutLogEvents <${fn}Logs>`]);
    }
  });

  it('lets each function write only the tables it writes and read only those it reads', () => {
    expect(tableAccess('ExecutorRole')).toEqual({
      write: ['<TablesAlerts>', '<TablesDeadLetters>', '<TablesMinuteSummaries>', '<TablesStreamState>'],
      read: ['<TablesReflections>'],
    });
    expect(tableAccess('RefreshRole')).toEqual({ write: ['<TablesReflections>'], read: [] });
    expect(tableAccess('CompactionRole')).toEqual({ write: [], read: [] });
    expect(tableAccess('CoordinatorRole')).toEqual({ write: ['<TablesQueryLog>'], read: ['<TablesAlerts>', '<TablesReflections>'] });
  });

  it('scopes the executor to its lake prefixes, putting change notes only, and the failed-batch bucket', () => {
    expect(of('ExecutorRole', 's3:')).toEqual([
      's3:DeleteObject <LakeBucket>/device_status/*',
      's3:DeleteObject <LakeBucket>/readings/*',
      's3:GetObject <LakeBucket>/readings/*',
      's3:ListBucket <FailedBatches>',
      's3:ListBucket <LakeBucket> if {"StringLike":{"s3:prefix":["readings/*"]}}',
      's3:PutObject <FailedBatches>/*',
      's3:PutObject <LakeBucket>/changes/*',
      's3:PutObject <LakeBucket>/device_status/*',
      's3:PutObject <LakeBucket>/readings/*',
    ]);
  });

  it('scopes compaction to the readings prefix, putting change notes only', () => {
    expect(of('CompactionRole', 's3:')).toEqual([
      's3:DeleteObject <LakeBucket>/readings/*',
      's3:GetObject <LakeBucket>/readings/*',
      's3:ListBucket <LakeBucket> if {"StringLike":{"s3:prefix":["readings/*"]}}',
      's3:PutObject <LakeBucket>/changes/*',
      's3:PutObject <LakeBucket>/readings/*',
    ]);
  });

  it('lets the refresh query Athena in its workgroup only, over its Glue database, and write only its partials and change notes', () => {
    expect([...new Set(of('RefreshRole', 'athena:').map((l) => l.split(' ')[1]))]).toEqual(['arn:aws:athena:us-east-1:123456789012:workgroup/Tideline-lake']);
    expect([...new Set(of('RefreshRole', 'glue:').map((l) => l.split(' ')[1]))].sort()).toEqual([
      'arn:aws:glue:us-east-1:123456789012:catalog',
      'arn:aws:glue:us-east-1:123456789012:database/tideline',
      'arn:aws:glue:us-east-1:123456789012:table/tideline/device_status',
      'arn:aws:glue:us-east-1:123456789012:table/tideline/readings',
    ]);
    expect(of('RefreshRole', 's3:').filter((l) => /s3:(Put|Delete)Object /.test(l))).toEqual([
      's3:DeleteObject <LakeBucket>/changes/*',
      's3:DeleteObject <LakeBucket>/partials/*',
      's3:PutObject <LakeBucket>/changes/*',
      's3:PutObject <LakeBucket>/partials/*',
      's3:PutObject <LakeQueryResults>/results/*',
    ]);
    expect(of('RefreshRole', 's3:ListBucket <LakeBucket>').join('\n')).toContain('changes/*');
  });

  it('lets the coordinator invoke the executor (unqualified) and read readings, nothing else of the lake', () => {
    expect(of('CoordinatorRole', 'lambda:')).toEqual(['lambda:InvokeFunction <ExecutorFunction>', 'lambda:InvokeFunction <ExecutorFunction>:$LATEST']);
    expect(of('CoordinatorRole', 's3:')).toEqual(['s3:GetObject <LakeBucket>/readings/*', 's3:ListBucket <LakeBucket> if {"StringLike":{"s3:prefix":["readings/*"]}}']);
  });

  it('scopes the MSK poller to the cluster, its two topics and their consumer groups (IAM auth)', () => {
    const cluster = 'arn:aws:kafka:us-east-1:111111111111:cluster/tideline/00000000-0000-0000-0000-000000000000-1';
    const topic = (t: string) => cluster.replace(':cluster/', ':topic/') + `/${t}`;
    const group = (t: string) => cluster.replace(':cluster/', ':group/') + `/tideline-executor-${t}`;
    expect(of('ExecutorRole', 'kafka')).toEqual([
      `kafka-cluster:AlterGroup ${group('device_status')}`,
      `kafka-cluster:AlterGroup ${group('sensor_readings')}`,
      `kafka-cluster:Connect ${cluster}`,
      `kafka-cluster:DescribeClusterDynamicConfiguration ${cluster}`,
      `kafka-cluster:DescribeGroup ${group('device_status')}`,
      `kafka-cluster:DescribeGroup ${group('sensor_readings')}`,
      `kafka-cluster:DescribeTopic ${topic('device_status')}`,
      `kafka-cluster:DescribeTopic ${topic('sensor_readings')}`,
      `kafka-cluster:ReadData ${topic('device_status')}`,
      `kafka-cluster:ReadData ${topic('sensor_readings')}`,
      `kafka:DescribeCluster ${cluster}`,
      `kafka:DescribeClusterV2 ${cluster}`,
      `kafka:GetBootstrapBrokers ${cluster}`,
    ]);
  });

  it('grants no kafka-cluster data access under SCRAM: the secret is the credential', () => {
    expect(of('ExecutorRole', 'kafka-cluster:', withOptions)).toEqual([]);
    expect(of('ExecutorRole', 'secretsmanager:', withOptions)).toEqual([
      `secretsmanager:DescribeSecret ${EVERY_OPTION.kafkaScramSecretArn}`,
      `secretsmanager:GetSecretValue ${EVERY_OPTION.kafkaScramSecretArn}`,
    ]);
  });
});
