import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StackConfigError } from '../errors.js';

/** The repository root: entries, the lock file and side files are resolved from here. */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..', '..');

/** The newest Node.js runtime aws-cdk-lib knows (cdk-nag's AwsSolutions-L1 asks for it). */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * parquet-wasm's Node build reads `${__dirname}/parquet_wasm_bg.wasm` when it loads, so the file
 * must sit beside the bundle (esbuild inlines the JavaScript, not the wasm).
 */
export const PARQUET_WASM = 'node_modules/parquet-wasm/node/parquet_wasm_bg.wasm';

/**
 * The ESM bundle contains CommonJS modules (parquet-wasm's Node build, parts of the AWS SDK) that
 * call `require` and read `__dirname`; ESM defines neither, so the bundle defines them first.
 */
const ESM_COMMONJS_SHIM = [
  "import { createRequire as __tidelineCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tidelineFileURLToPath } from 'node:url';",
  "import { dirname as __tidelineDirname } from 'node:path';",
  'const require = __tidelineCreateRequire(import.meta.url);',
  'const __filename = __tidelineFileURLToPath(import.meta.url);',
  'const __dirname = __tidelineDirname(__filename);',
].join(' ');

/**
 * Packages replaced inside bundles by a module that fails with a clear message when used:
 * DuckDB is the local stand-in for Athena, imported by code paths a deployed function never takes.
 */
export const BUNDLE_STUBS: Readonly<Record<string, string>> = {
  '@duckdb/node-api': './infra/aws/bundle-stubs/duckdb-node-api.ts',
};

export interface FunctionVpcPlacement {
  readonly vpc: ec2.IVpc;
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroups: readonly ec2.ISecurityGroup[];
}

export interface TidelineFunctionProps {
  /** The handler file, relative to the repository root (e.g. `functions/executor/handler.ts`), exporting `handler`. */
  readonly entry: string;
  /** Powertools service name: the `service` dimension of the function's metrics and the logger's service. */
  readonly serviceName: string;
  /** @default - none */
  readonly description?: string;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Files (relative to the repository root) copied beside the bundle, for modules that read them
   * from their own directory at run time, e.g. PARQUET_WASM.
   * @default []
   */
  readonly sideFiles?: readonly string[];
  /** @default - not in a VPC */
  readonly vpc?: FunctionVpcPlacement;
}

/**
 * A Tideline Lambda function: NodejsFunction bundled by the local esbuild (no Docker) as ESM for
 * the newest Node.js runtime on arm64, with its own log group and a role that starts with nothing
 * but writing to that log group; every other permission is granted by the stack, resource by resource.
 */
export class TidelineFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TidelineFunctionProps) {
    super(scope, id);
    const entry = join(PROJECT_ROOT, props.entry);
    if (!existsSync(entry)) throw new StackConfigError('entry', 'must name an existing handler file (relative to the repository root)', props.entry);
    const sideFiles = props.sideFiles ?? [];
    for (const f of sideFiles) {
      if (!existsSync(join(PROJECT_ROOT, f))) throw new StackConfigError('sideFiles', 'must name existing files relative to the repository root (run npm install first)', f);
    }
    const memorySize = props.memorySize ?? 1024;
    const timeout = props.timeout ?? Duration.seconds(60);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of the default's AWSLambdaBasicExecutionRole, whose log permissions cover every log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${Stack.of(this).stackName} ${id}: logs to its own group; everything else granted per resource`,
    });
    this.logGroup.grantWrite(this.role);
    if (props.vpc) {
      this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: "AWS's policy for Lambda to manage the function's network interfaces in the VPC; the ec2 Describe actions it needs support no resource-level permissions, so a hand-written policy could not be narrower.",
      });
    }

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      vpc: props.vpc?.vpc,
      vpcSubnets: props.vpc ? { subnets: [...props.vpc.subnets] } : undefined,
      securityGroups: props.vpc ? [...props.vpc.securityGroups] : undefined,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'Tideline',
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        // Errors name themselves from their class (`new.target.name`): API error types, logs and dead
        // letters carry that name, so minification must not rename classes.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the SDK: the function runs the versions the tests ran, not whatever the runtime ships.
        bundleAwsSDK: true,
        banner: ESM_COMMONJS_SHIM,
        // esbuild resolves an alias from its working directory, the repository root.
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_STUBS).map(([pkg, stub]) => [`--alias:${pkg}`, stub])),
        commandHooks: sideFiles.length === 0 ? undefined : {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => sideFiles.map((f) => `cp "${join(inputDir, f)}" "${outputDir}/"`),
        },
      },
    });
  }
}
