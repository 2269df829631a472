import {
  Aspects,
  Aws,
  CfnOutput,
  CfnResource,
  Duration,
  type IAspect,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IConstruct } from 'constructs';
import { jobEntries } from '#functions/jobs';
import { routeEntries } from '#functions/routes';
import { workers } from '#functions/workers';
import { PROVIDERS, type Provider } from '#shared/providers/types';
import { ServiceAlarms } from './constructs/alarms.ts';
import { Api } from './constructs/api.ts';
import { Auth } from './constructs/auth.ts';
import type { BackendFunction } from './constructs/backend-function.ts';
import { Database } from './constructs/database.ts';
import { DocumentStore } from './constructs/documents.ts';
import { EventsInfra } from './constructs/events.ts';
import { BackendFunctions, constructIdFor } from './constructs/functions.ts';
import { JobTriggers } from './constructs/jobs.ts';
import { Network } from './constructs/network.ts';
import { Operations } from './constructs/operations.ts';
import { ProviderCredentials } from './constructs/provider-credentials.ts';
import { RefreshFanout } from './constructs/refresh-fanout.ts';
import { SigningKey } from './constructs/signing-key.ts';
import { TokenVault } from './constructs/token-vault.ts';
import { WebApp } from './constructs/web.ts';
import type { StageConfig } from './stage.ts';

/**
 * CDK's own custom-resource handlers (the Trigger provider, the default-security-group restriction) are plain
 * Node.js bundles without native code, rendered as raw CfnResources without an architecture: run them on arm64
 * like every other function of the stack.
 */
class Arm64ForProviderHandlers implements IAspect {
  public visit(node: IConstruct): void {
    if (
      node instanceof CfnResource &&
      !(node instanceof lambda.CfnFunction) &&
      node.cfnResourceType === 'AWS::Lambda::Function'
    ) {
      node.addPropertyOverride('Architectures', [lambda.Architecture.ARM_64.name]);
    }
  }
}

/** The stack output per provider's OAuth callback URL, and where to register it. */
export const CALLBACK_OUTPUTS: Record<Provider, { id: string; where: string }> = {
  google_drive: {
    id: 'GoogleDriveCallbackUrl',
    where: 'Google Cloud console: OAuth client, Authorized redirect URIs',
  },
  onedrive: {
    id: 'OneDriveCallbackUrl',
    where: 'Microsoft Entra app registration: Authentication, platform "Web"',
  },
  dropbox: { id: 'DropboxCallbackUrl', where: 'Dropbox App Console: Settings, OAuth 2 Redirect URIs' },
};

export interface BrandStackProps extends StackProps {
  readonly stage: StageConfig;
}

/**
 * The whole backend of one stage. Every HTTP function and route comes from functions/routes.ts and every job
 * from functions/jobs.ts: adding an entry there is all it takes to deploy it.
 */
export class BrandStack extends Stack {
  public readonly network: Network;
  public readonly database: Database;
  public readonly auth: Auth;
  public readonly vault: TokenVault;
  public readonly providers: ProviderCredentials;
  public readonly signingKey: SigningKey;
  public readonly api: Api;
  public readonly functions: BackendFunctions;
  public readonly jobs: JobTriggers;
  public readonly events: EventsInfra;
  public readonly refreshFanout: RefreshFanout;
  public readonly operations: Operations;
  public readonly serviceAlarms: ServiceAlarms;

  /**
   * The web app's origin (`WebAppUrl` output): the CloudFront distribution, or the stage's `frontendUrl` when the
   * app is served under a domain of its own. The API's only CORS origin, FRONTEND_URL and the Cognito callback.
   */
  public readonly webAppUrl: string;
  public readonly web: WebApp;
  public readonly documents: DocumentStore;

  constructor(scope: Construct, id: string, props: BrandStackProps) {
    super(scope, id, props);
    const { stage } = props;

    // The web app (S3 + CloudFront): its distribution is the frontend unless the stage names another origin.
    // Its buckets are kept when the stack is deleted (CloudFormation cannot delete a non-empty bucket).
    this.web = new WebApp(this, 'Web', { removalPolicy: RemovalPolicy.RETAIN });
    const frontendUrl = stage.frontendUrl ?? this.web.url;
    this.webAppUrl = frontendUrl;

    this.network = new Network(this, 'Network', {
      natGateways: stage.natGateways,
      logRetention: stage.logRetention,
    });
    this.database = new Database(this, 'Database', {
      vpc: this.network.vpc,
      databaseSubnets: this.network.databaseSubnets,
      rotationSubnets: this.network.functionSubnets,
      settings: stage.database,
      removalPolicy: stage.statefulRemovalPolicy,
    });
    this.auth = new Auth(this, 'Auth', {
      frontendUrl,
      removalPolicy: stage.statefulRemovalPolicy,
      deletionProtection: stage.name === 'prod',
    });
    this.vault = new TokenVault(this, 'TokenVault', { removalPolicy: stage.statefulRemovalPolicy });
    this.providers = new ProviderCredentials(this, 'ProviderCredentials', {
      removalPolicy: stage.statefulRemovalPolicy,
    });
    this.signingKey = new SigningKey(this, 'SigningKey', { removalPolicy: stage.statefulRemovalPolicy });
    this.api = new Api(this, 'Api', {
      auth: this.auth,
      frontendUrl,
      throttle: stage.throttle,
      publicRouteThrottle: stage.publicRouteThrottle,
      logRetention: stage.logRetention,
    });

    this.documents = new DocumentStore(this, 'Documents', {
      stageName: stage.name,
      frontendUrl,
      removalPolicy: stage.statefulRemovalPolicy,
      workerTimeout: Duration.seconds(workers['documents/worker'].timeoutSeconds),
    });

    this.functions = new BackendFunctions(this, 'Functions', {
      network: this.network,
      documents: this.documents,
      database: this.database,
      auth: this.auth,
      vault: this.vault,
      providers: this.providers,
      signingKey: this.signingKey,
      frontendUrl,
      oauthRedirectBaseUrl: this.api.url,
      logRetention: stage.logRetention,
    });
    for (const [key, route] of routeEntries()) {
      this.api.addRoute(constructIdFor(key), route, this.functions.addRoute(key, route));
    }

    this.documents.addWorker(
      this.functions.addWorker('documents/worker', workers['documents/worker']),
      workers['documents/worker'],
    );

    const refreshWorker = this.functions.addWorker(
      'token-refresh/worker',
      workers['token-refresh/worker'],
      stage.refreshWorkerConcurrency,
    );

    const jobs = jobEntries().map(([key, job]) => [key, job, this.functions.addJob(key, job)] as const);
    const scheduled: BackendFunction[] = jobs.filter(([, job]) => !job.runOnDeploy).map(([, , fn]) => fn);
    this.jobs = new JobTriggers(this, 'Jobs', {
      jobs,
      runAfter: [...this.database.migrationPrerequisites(), ...this.network.endpoints],
      runBefore: [...this.functions.routes.values(), ...this.functions.workers.values(), ...scheduled],
    });
    for (const trigger of this.jobs.deployTriggers.values()) this.database.runAfterMigrations(trigger);

    // The refresh fan-out: the scheduler job sends due ids to the queue, the worker refreshes them.
    this.refreshFanout = new RefreshFanout(this, 'RefreshFanout', {
      jobs,
      workerTimeout: Duration.seconds(workers['token-refresh/worker'].timeoutSeconds),
    });
    this.refreshFanout.addWorker(
      'token-refresh/worker',
      workers['token-refresh/worker'],
      refreshWorker,
      stage.refreshWorkerConcurrency,
    );

    this.events = new EventsInfra(this, 'Events', {
      jobs,
      webhookUrl: this.node.tryGetContext('webhookUrl') as string | undefined,
      removalPolicy: stage.statefulRemovalPolicy,
    });

    // Every alarm of the stack notifies the operations topic (added by an aspect, also to later alarms).
    this.operations = new Operations(this, 'Operations', { alarmEmail: stage.alarmEmail });
    this.serviceAlarms = new ServiceAlarms(this, 'Alarms', {
      api: this.api,
      database: this.database,
      settings: stage.database,
    });

    // Uploads the build and its config.json { apiUrl } on deploys that change either (a CDK Trigger).
    this.web.deploy(this.api.url, stage.logRetention);

    this.outputs();
    this.suppressions(stage);
    Aspects.of(this).add(new Arm64ForProviderHandlers());
  }

  private outputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ApiUrl', this.api.url, 'HTTP API base URL (the web app calls it; no trailing slash)');
    out('WebUrl', this.web.url, 'The web app on CloudFront (https://<id>.cloudfront.net)');
    out('Region', Aws.REGION, 'AWS region of the stack');
    out('UserPoolId', this.auth.userPool.userPoolId, 'Cognito user pool id');
    out('UserPoolClientId', this.auth.client.userPoolClientId, 'Cognito app client id of the web app');
    out('TokenVaultKeyArn', this.vault.key.keyArn, 'KMS key of the token vault');
    out(
      'ProviderSecretName',
      this.providers.secret.secretName,
      'Secrets Manager secret to fill with the providers OAuth client ids and secrets',
    );
    out('EventBusName', this.events.bus.eventBusName, 'EventBridge bus of the lifecycle events');
    out(
      'WebhookSecretName',
      this.events.webhookSecret.secretName,
      'Secrets Manager secret with the webhook signing key (whsec_ + its "secret" value)',
    );
    out(
      'WebhookDeadLetterQueueUrl',
      this.events.deadLetters.queueUrl,
      'Webhook deliveries that failed for 24 h',
    );
    for (const provider of PROVIDERS) {
      out(
        CALLBACK_OUTPUTS[provider].id,
        `${this.api.url}/cloud-storage/callback/${provider}`,
        `Redirect URI to register at ${CALLBACK_OUTPUTS[provider].where}`,
      );
    }
    out(
      'WebAppUrl',
      this.webAppUrl,
      'The web app origin (CORS origin, OAuth return target, Cognito callback)',
    );
  }

  /** Findings accepted on purpose; each reason says why. */
  private suppressions(stage: StageConfig): void {
    const acknowledge = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id, reason });
    acknowledge(
      this.auth.userPool,
      'AwsSolutions-COG2',
      'MFA is not required: the API contract signs users in with email + password (POST /auth/login returns ' +
        'tokens). The strong password policy, email verification and Cognito rate limits apply.',
    );
    acknowledge(
      this.auth.userPool,
      'AwsSolutions-COG8',
      'The Essentials feature plan is used; threat protection (Plus plan) is a cost decision left to the ' +
        'operator and can be enabled without code changes.',
    );
    acknowledge(
      this.providers.secret,
      'AwsSolutions-SMG4',
      'OAuth client secrets are issued in the Google, Microsoft and Dropbox consoles; Secrets Manager cannot ' +
        'rotate them. The operator rotates them at the provider and updates the secret.',
    );
    acknowledge(
      this.database.instance,
      'AwsSolutions-RDS11',
      'The default PostgreSQL port is kept: the instance is in isolated subnets and admits only the proxy, the ' +
        'migrate function and the rotation functions by security group; a non-default port adds nothing.',
    );
    if (stage.name !== 'prod') {
      acknowledge(
        this.database.instance,
        'AwsSolutions-RDS3',
        'dev runs a single-AZ instance to save cost; prod is Multi-AZ.',
      );
      acknowledge(
        this.database.instance,
        'AwsSolutions-RDS10',
        'dev stacks are disposable; prod enables deletion protection.',
      );
    }
  }
}
