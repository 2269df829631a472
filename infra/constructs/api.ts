import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HttpMethod, RouteDef } from '#shared/http/route';
import { API_AUTHORIZATION_SCOPES, type Auth } from './auth.ts';

export interface ApiProps {
  readonly auth: Auth;
  /** The only CORS origin. */
  readonly frontendUrl: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Stage route settings for every public route that reaches an outside system (Cognito, providers). */
  readonly publicRouteThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: logs.RetentionDays;
}

/**
 * Access log line: JSON, one field per context variable, all strings (an empty variable stays valid JSON).
 * Nothing from headers or query strings is logged: `$context.path` carries no query string (the OAuth callback's
 * `code` and `state` live there), and the Authorization header is never referenced.
 */
const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  userId: '$context.authorizer.claims.sub',
};

const METHODS: Record<HttpMethod, apigw.HttpMethod> = {
  GET: apigw.HttpMethod.GET,
  POST: apigw.HttpMethod.POST,
  PUT: apigw.HttpMethod.PUT,
  PATCH: apigw.HttpMethod.PATCH,
  DELETE: apigw.HttpMethod.DELETE,
};

/**
 * The HTTP API: CORS for the web app only, default-stage throttling, JSON access logs, and one route per
 * route-table entry. `jwt` routes get the Cognito JWT authorizer (issuer = the user pool, audience = the web
 * client) with required scopes, which is what refuses ID tokens; `public` routes get no authorizer.
 */
export class Api extends Construct {
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly accessLogs: logs.LogGroup;
  /**
   * The default stage's URL without a trailing slash, `https://{apiId}.execute-api.{region}.{suffix}`. It
   * references only the API resource, so functions may carry it (OAUTH_REDIRECT_BASE_URL) while routes reference
   * the functions, without a dependency cycle.
   */
  public readonly url: string;
  private readonly authorizer: HttpUserPoolAuthorizer;
  private readonly publicRouteThrottle: ApiProps['publicRouteThrottle'];
  /** CloudFormation's RouteSettings map (a JSON property: CDK passes its keys through as written). */
  private readonly routeSettings: Record<
    string,
    { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
  > = {};

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'brand-cloud HTTP API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [props.frontendUrl],
        allowMethods: [
          apigw.CorsHttpMethod.GET,
          apigw.CorsHttpMethod.POST,
          apigw.CorsHttpMethod.PUT,
          apigw.CorsHttpMethod.PATCH,
          apigw.CorsHttpMethod.DELETE,
          apigw.CorsHttpMethod.OPTIONS,
        ],
        allowHeaders: ['authorization', 'content-type'],
        exposeHeaders: ['retry-after', 'location'],
        // Bearer tokens, no cookies.
        allowCredentials: false,
        maxAge: Duration.hours(1),
      },
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.url = this.httpApi.apiEndpoint;
    this.publicRouteThrottle = props.publicRouteThrottle;
    // Filled by addRoute; CloudFormation reads the map when the template is synthesized.
    (this.stage.node.defaultChild as apigw.CfnStage).routeSettings = this.routeSettings;

    this.authorizer = new HttpUserPoolAuthorizer('CognitoAccessToken', props.auth.userPool, {
      userPoolClients: [props.auth.client],
      identitySource: ['$request.header.Authorization'],
    });
  }

  /** Adds the route of one route-table entry, integrated with the function built from the same entry. */
  public addRoute(
    id: string,
    route: Pick<RouteDef, 'method' | 'path' | 'auth' | 'capabilities'>,
    fn: lambda.IFunction,
  ) {
    const isJwt = route.auth === 'jwt';
    const httpRoute = new apigw.HttpRoute(this, id, {
      httpApi: this.httpApi,
      routeKey: apigw.HttpRouteKey.with(route.path, METHODS[route.method]),
      integration: new HttpLambdaIntegration(`${id}Integration`, fn, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
      authorizer: isJwt ? this.authorizer : new apigw.HttpNoneAuthorizer(),
      authorizationScopes: isJwt ? [...API_AUTHORIZATION_SCOPES] : undefined,
    });
    const reachesOutside = route.capabilities.some((c) => c.startsWith('cognito') || c === 'providers');
    if (!isJwt && reachesOutside) {
      // Per-route throttling in the stage: the route must exist before the stage names it.
      this.routeSettings[`${route.method} ${route.path}`] = {
        ThrottlingRateLimit: this.publicRouteThrottle.rateLimit,
        ThrottlingBurstLimit: this.publicRouteThrottle.burstLimit,
      };
      this.stage.node.addDependency(httpRoute);
    }
    if (!isJwt) {
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `${route.method} ${route.path} is public by the API contract (route table auth: 'public'); the function validates its own input.`,
      });
    }
    return httpRoute;
  }
}
