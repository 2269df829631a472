import path from 'node:path';
import { type Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { REPO_ROOT } from '../paths.ts';
import type { Auth } from './auth.ts';
import { BUNDLE_EXTERNALS, BUNDLE_MAIN_FIELDS, BUNDLE_TARGET, ESM_REQUIRE_SHIM } from './bundling.ts';
import type { Database } from './database.ts';
import type { ProviderCredentials } from './provider-credentials.ts';
import type { SigningKey } from './signing-key.ts';
import { TOKEN_VAULT_CONTEXT_KEYS, TOKEN_VAULT_PURPOSE, type TokenVault } from './token-vault.ts';

export interface BackendFunctionProps {
  /** The entry file under functions/ without `.ts` (the route-table or job-table key). */
  readonly entryKey: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly logRetention: logs.RetentionDays;
  /** Copies migrations/ next to the bundle (the migrate function). */
  readonly bundleMigrations?: boolean;
  /** Reserved concurrency (a cap and a guarantee); none by default. */
  readonly reservedConcurrency?: number;
}

/** Tag naming the entry file a function was built from. */
export const ENTRY_TAG = 'brand-cloud:entry';
/** Where the bundled migrations/ land in the Lambda (MIGRATIONS_DIR). */
export const LAMBDA_MIGRATIONS_DIR = '/var/task/migrations';
/** The runtime's bundle of Amazon CA certificates (RDS CA included); Node 20+ runtimes do not load it by default. */
const LAMBDA_AMAZON_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * Every Lambda of the project: Node.js 24 on arm64, one ESM bundle per entry (minified, external source maps,
 * the AWS SDK v3 from the runtime: see BUNDLE_EXTERNALS), its own log group with retention, its own role with one
 * inline policy that starts with logs + VPC networking and grows only through the bindX() helpers below, each of
 * which sets the environment variables and the IAM statement of one capability together.
 */
export class BackendFunction extends nodejs.NodejsFunction {
  public readonly entryKey: string;
  public readonly executionRole: iam.Role;
  public readonly functionLogGroup: logs.LogGroup;
  private readonly policy: iam.PolicyDocument;

  constructor(scope: Construct, id: string, props: BackendFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'Logs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'VpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      ],
    });
    // Inline in the role (no separate AWS::IAM::Policy resource, no AWS managed policies): one resource per
    // function less, which matters with ~50 functions against CloudFormation's 500-resource limit.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of functions/${props.entryKey}.ts`,
      inlinePolicies: { access: policy },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates and deletes the VPC network interfaces of the function; the EC2 network-interface and ' +
        'describe actions do not support resource-level scoping (same statement as AWSLambdaVPCAccessExecutionRole).',
    });

    super(scope, id, {
      entry: path.join(REPO_ROOT, 'functions', `${props.entryKey}.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'brand-cloud',
        LOG_LEVEL: 'INFO',
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: [...BUNDLE_MAIN_FIELDS],
        banner: ESM_REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
        sourcesContent: false,
        // The AWS SDK v3 from the nodejs24.x runtime (BUNDLE_EXTERNALS says why). Everything else, the Encryption
        // SDK included, is bundled and pinned by package-lock.json.
        bundleAwsSDK: false,
        externalModules: [...BUNDLE_EXTERNALS],
        logLevel: nodejs.LogLevel.ERROR,
        commandHooks: props.bundleMigrations
          ? {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (inputDir: string, outputDir: string) => [
                `cp -R "${inputDir}/migrations" "${outputDir}/migrations"`,
              ],
            }
          : undefined,
      },
    });
    this.entryKey = props.entryKey;
    // Ties the deployed function to its entry file (the infra tests compare it with the bundle's sources).
    Tags.of(this).add(ENTRY_TAG, props.entryKey);
    this.executionRole = role;
    this.functionLogGroup = logGroup;
    this.policy = policy;
  }

  /** PostgreSQL as brand_app through RDS Proxy: DB_SECRET_ARN, DB_HOST (proxy), DB_NAME. */
  public bindAppDatabase(db: Database): this {
    this.addEnvironment('DB_SECRET_ARN', db.appSecret.secretArn);
    this.useProxy(db);
    return this.allowSecretRead('AppDatabaseSecret', db.appSecret);
  }

  /** PostgreSQL as brand_refresher through RDS Proxy: REFRESHER_DB_SECRET_ARN, DB_HOST (proxy), DB_NAME. */
  public bindRefresherDatabase(db: Database): this {
    this.addEnvironment('REFRESHER_DB_SECRET_ARN', db.refresherSecret.secretArn);
    this.useProxy(db);
    return this.allowSecretRead('RefresherDatabaseSecret', db.refresherSecret);
  }

  /**
   * The owner connection for migrations, straight to the instance (DB_OWNER_SECRET_ARN, DB_HOST = instance
   * endpoint, DB_PORT, DB_NAME), the runtime roles' secrets (DB_SECRET_ARN, REFRESHER_DB_SECRET_ARN) to set their
   * passwords, the bundled migrations (MIGRATIONS_DIR) and the RDS CA bundle for TLS verification.
   */
  public bindMigrations(db: Database): this {
    this.addEnvironment('DB_OWNER_SECRET_ARN', db.ownerSecret.secretArn);
    this.addEnvironment('DB_SECRET_ARN', db.appSecret.secretArn);
    this.addEnvironment('REFRESHER_DB_SECRET_ARN', db.refresherSecret.secretArn);
    this.addEnvironment('DB_HOST', db.instance.dbInstanceEndpointAddress);
    this.addEnvironment('DB_PORT', String(db.port));
    this.addEnvironment('DB_NAME', db.databaseName);
    this.addEnvironment('MIGRATIONS_DIR', LAMBDA_MIGRATIONS_DIR);
    this.addEnvironment('NODE_EXTRA_CA_CERTS', LAMBDA_AMAZON_CA_BUNDLE);
    db.allowInstanceFrom(this);
    this.allowSecretRead('OwnerDatabaseSecret', db.ownerSecret);
    this.allowSecretRead('AppDatabaseSecret', db.appSecret);
    return this.allowSecretRead('RefresherDatabaseSecret', db.refresherSecret);
  }

  /**
   * Cognito client calls (SignUp, ConfirmSignUp, InitiateAuth, GetUser/DeleteUser with the caller's access
   * token): COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID. None of these is an IAM-authorised admin API, so no grant.
   */
  public bindCognito(auth: Auth): this {
    this.addEnvironment('COGNITO_USER_POOL_ID', auth.userPool.userPoolId);
    return this.bindTokenAudience(auth);
  }

  /** COGNITO_CLIENT_ID for the handlers' own `client_id` check of access tokens (no AWS access). */
  public bindTokenAudience(auth: Auth): this {
    this.addEnvironment('COGNITO_CLIENT_ID', auth.client.userPoolClientId);
    return this;
  }

  /**
   * Cognito admin APIs on this user pool only (IAM-authorised), named one by one. Only registration has one
   * (AdminDeleteUser, to undo its own sign-up when the user row cannot be written), through its capability.
   */
  public bindCognitoAdmin(auth: Auth, actions: readonly `cognito-idp:Admin${string}`[]): this {
    this.bindCognito(auth);
    return this.allow(
      new iam.PolicyStatement({
        sid: 'CognitoAdmin',
        actions: [...actions],
        resources: [auth.userPool.userPoolArn],
      }),
    );
  }

  /**
   * The token vault key: TOKEN_VAULT_KMS_KEY_ARN, and GenerateDataKey/Decrypt on that key only, only with the
   * vault's encryption context (`purpose` = TOKEN_VAULT_PURPOSE, no keys but purpose/user_id/provider), so this
   * role cannot use the key for anything else.
   */
  public bindTokenVault(vault: TokenVault): this {
    this.addEnvironment('TOKEN_VAULT_KMS_KEY_ARN', vault.key.keyArn);
    return this.allow(
      new iam.PolicyStatement({
        sid: 'TokenVault',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [vault.key.keyArn],
        conditions: {
          StringEquals: { 'kms:EncryptionContext:purpose': TOKEN_VAULT_PURPOSE },
          // No context keys beyond the vault's own: the grant cannot be stretched by adding context.
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...TOKEN_VAULT_CONTEXT_KEYS] },
        },
      }),
    );
  }

  /**
   * The providers' OAuth client credentials (PROVIDER_SECRET_ARN), the web app origin the OAuth flow returns to
   * (FRONTEND_URL) and the API origin the providers redirect to (OAUTH_REDIRECT_BASE_URL).
   */
  public bindProviders(
    providers: ProviderCredentials,
    urls: { frontendUrl: string; oauthRedirectBaseUrl: string },
  ): this {
    this.addEnvironment('PROVIDER_SECRET_ARN', providers.secret.secretArn);
    this.addEnvironment('FRONTEND_URL', urls.frontendUrl);
    this.addEnvironment('OAUTH_REDIRECT_BASE_URL', urls.oauthRedirectBaseUrl);
    return this.allowSecretRead('ProviderSecret', providers.secret);
  }

  /** The server's HMAC key (page cursors, PKCE verifiers): SIGNING_KEY_SECRET_ARN, and read access to it only. */
  public bindSigningKey(signingKey: SigningKey): this {
    this.addEnvironment('SIGNING_KEY_SECRET_ARN', signingKey.secret.secretArn);
    return this.allowSecretRead('SigningKeySecret', signingKey.secret);
  }

  /**
   * Statements of a capability defined by another construct (the document store's grants), with a sid prefix so
   * each stays recognisable in the role's single inline policy.
   */
  public bindStatements(sid: string, statements: iam.PolicyStatement[]): this {
    statements.forEach((statement, i) => {
      statement.sid = `${sid}${i || ''}`;
      this.allow(statement);
    });
    return this;
  }

  private useProxy(db: Database): void {
    this.addEnvironment('DB_HOST', db.proxy.endpoint);
    this.addEnvironment('DB_NAME', db.databaseName);
    db.allowProxyFrom(this);
  }

  private allowSecretRead(sid: string, secret: secretsmanager.ISecret): this {
    return this.allow(
      new iam.PolicyStatement({
        sid,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
  }

  private allow(statement: iam.PolicyStatement): this {
    this.policy.addStatements(statement);
    return this;
  }
}
