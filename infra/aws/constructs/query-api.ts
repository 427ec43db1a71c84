import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StackConfigError } from '../errors.js';

export type QueryApiAuthorization =
  | { readonly kind: 'iam' }
  | { readonly kind: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

export interface QueryApiProps {
  /** The coordinator: every route goes to it. */
  readonly handler: lambda.IFunction;
  /** @default { kind: 'iam' } (callers sign requests with SigV4) */
  readonly authorization?: QueryApiAuthorization;
  /** @default 50 */
  readonly throttleRatePerSecond?: number;
  /** @default 100 */
  readonly throttleBurst?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** What each access-log line records (HTTP API context variables), one JSON object per request. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.userArn',
  jwtSubject: '$context.authorizer.claims.sub',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

/**
 * The coordinator behind an API Gateway HTTP API: every route authorized (IAM by default, or a
 * JWT authorizer), throttled at the stage, and access-logged as JSON to its own log group.
 */
export class QueryApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const authorization = props.authorization ?? { kind: 'iam' };
    const rate = props.throttleRatePerSecond ?? 50;
    const burst = props.throttleBurst ?? 100;
    if (authorization.kind === 'jwt' && authorization.audience.length === 0) throw new StackConfigError('authorization.audience', 'must name at least one audience for a JWT authorizer', authorization.audience);
    if (!(rate > 0)) throw new StackConfigError('throttleRatePerSecond', 'must be above 0', rate);
    if (!(burst > 0)) throw new StackConfigError('throttleBurst', 'must be above 0', burst);

    const authorizer: apigwv2.IHttpRouteAuthorizer =
      authorization.kind === 'jwt'
        ? new authorizers.HttpJwtAuthorizer('JwtAuthorizer', authorization.issuer, { jwtAudience: [...authorization.audience] })
        : new authorizers.HttpIamAuthorizer();

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Tideline queries over the live stream and history',
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new integrations.HttpLambdaIntegration('Coordinator', props.handler),
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: rate, burstLimit: burst },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }

  /** The API's base URL. */
  get url(): string {
    return this.stage.url;
  }
}
