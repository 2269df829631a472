import { Duration, NestedStack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { JobDef } from '#functions/jobs';
import type { WorkerDef } from '#functions/workers';
import { ROUTE_DEFAULTS, type RouteDef } from '#shared/http/route';
import type { Auth } from './auth.ts';
import { BackendFunction } from './backend-function.ts';
import type { Database } from './database.ts';
import type { DocumentStore } from './documents.ts';
import type { Network } from './network.ts';
import type { ProviderCredentials } from './provider-credentials.ts';
import type { SigningKey } from './signing-key.ts';
import type { TokenVault } from './token-vault.ts';

export interface BackendFunctionsProps {
  readonly network: Network;
  readonly database: Database;
  readonly auth: Auth;
  readonly vault: TokenVault;
  readonly providers: ProviderCredentials;
  readonly signingKey: SigningKey;
  readonly documents: DocumentStore;
  readonly frontendUrl: string;
  /** API origin the providers redirect back to (`{OAUTH_REDIRECT_BASE_URL}/cloud-storage/callback/{provider}`). */
  readonly oauthRedirectBaseUrl: string;
  readonly logRetention: logs.RetentionDays;
}

/** API Gateway gives up on an integration after 30 s; a route function must finish (or fail) before that. */
export const MAX_ROUTE_TIMEOUT_SECONDS = 29;

/** `cloud-storage/list-files` → `CloudStorageListFiles`: a stable construct id per entry. */
export function constructIdFor(entryKey: string): string {
  return entryKey
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Builds every function of the project from the route table and the job table, the same way: one
 * BackendFunction per entry, and exactly the bindings its capabilities name. Functions that talk to the
 * database share one security group (admitted by the proxy), the migrate function has its own (admitted by
 * the instance), the rest share an egress-only one.
 *
 * The route functions (function, execution role, log group: three resources per route) live in a nested stack,
 * `routeStack`, so that the main stack keeps room under CloudFormation's 500 resources per stack as routes, jobs
 * and workers are added. Everything else stays in the main stack, the API's routes and integrations included:
 * a route key is unique per API, so moving a route between stacks would create the new route before deleting
 * the old one and fail on an existing deployment; integrations and their invoke permissions follow the routes.
 * The nested stack gets what its functions reference (subnets, security groups, secrets, key, user pool) as
 * parameters, and it is created only after the migrate Trigger, like every function (infra/constructs/jobs.ts).
 */
export class BackendFunctions extends Construct {
  public readonly routes = new Map<string, BackendFunction>();
  public readonly jobs = new Map<string, BackendFunction>();
  public readonly workers = new Map<string, BackendFunction>();
  public readonly databaseClients: ec2.SecurityGroup;
  public readonly migrationClients: ec2.SecurityGroup;
  public readonly egressOnly: ec2.SecurityGroup;
  /** The nested stack holding the route functions (see the class comment). */
  public readonly routeStack: NestedStack;
  private readonly ids = new Set<string>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: BackendFunctionsProps,
  ) {
    super(scope, id);
    const { vpc } = props.network;
    this.databaseClients = new ec2.SecurityGroup(this, 'DatabaseClients', {
      vpc,
      description: 'Functions that reach PostgreSQL through RDS Proxy',
    });
    this.migrationClients = new ec2.SecurityGroup(this, 'MigrationClients', {
      vpc,
      description: 'The migrate function (owner connection straight to the instance)',
    });
    this.egressOnly = new ec2.SecurityGroup(this, 'EgressOnly', {
      vpc,
      description: 'Functions without database access',
    });
    this.routeStack = new NestedStack(this, 'Routes', {
      description: 'brand-cloud route functions: one per route-table entry (functions/routes.ts)',
    });
  }

  public addRoute(key: string, route: RouteDef): BackendFunction {
    const timeoutSeconds = route.timeoutSeconds ?? ROUTE_DEFAULTS.timeoutSeconds;
    if (timeoutSeconds > MAX_ROUTE_TIMEOUT_SECONDS) {
      throw new Error(`Route ${key}: timeoutSeconds ${timeoutSeconds} exceeds API Gateway's 30 s limit`);
    }
    const caps = new Set<string>(route.capabilities);
    const fn = this.create(this.routeStack, key, {
      description: `${route.method} ${route.path} (${route.auth})`,
      timeoutSeconds,
      memoryMb: route.memoryMb ?? ROUTE_DEFAULTS.memoryMb,
      securityGroup: caps.has('db') ? this.databaseClients : this.egressOnly,
    });
    const { database, auth, vault, providers } = this.props;
    if (route.auth === 'jwt') fn.bindTokenAudience(auth);
    if (caps.has('db')) fn.bindAppDatabase(database);
    if (caps.has('cognito')) fn.bindCognito(auth);
    if (caps.has('cognito-undo-signup')) fn.bindCognitoAdmin(auth, ['cognito-idp:AdminDeleteUser']);
    if (caps.has('vault')) fn.bindTokenVault(vault);
    if (caps.has('providers')) fn.bindProviders(providers, this.urls());
    if (caps.has('signing-key')) fn.bindSigningKey(this.props.signingKey);
    if (caps.has('documents-upload')) this.props.documents.grant(fn, 'upload');
    if (caps.has('documents-read')) this.props.documents.grant(fn, 'read');
    if (caps.has('documents-delete')) this.props.documents.grant(fn, 'delete');
    if (caps.has('documents-delete-object')) this.props.documents.grant(fn, 'delete-object');
    if (caps.has('documents-import')) this.props.documents.grantImport(fn);
    this.routes.set(key, fn);
    return fn;
  }

  public addJob(key: string, job: JobDef): BackendFunction {
    const caps = new Set<string>(job.capabilities);
    const fn = this.create(this, key, {
      description: job.summary,
      timeoutSeconds: job.timeoutSeconds,
      memoryMb: job.memoryMb,
      securityGroup: caps.has('migrations')
        ? this.migrationClients
        : caps.has('refresher-db')
          ? this.databaseClients
          : this.egressOnly,
      bundleMigrations: caps.has('migrations'),
    });
    const { database, auth, vault, providers } = this.props;
    if (caps.has('migrations')) fn.bindMigrations(database);
    if (caps.has('refresher-db')) fn.bindRefresherDatabase(database);
    if (caps.has('cognito')) fn.bindCognito(auth);
    if (caps.has('vault')) fn.bindTokenVault(vault);
    if (caps.has('providers')) fn.bindProviders(providers, this.urls());
    this.jobs.set(key, fn);
    return fn;
  }

  /**
   * A queue worker, bound by its capabilities like a job; the construct of its queue connects it (event source,
   * the queue's grants). `reservedConcurrency` caps it (the refresh workers: the stage's setting).
   */
  public addWorker(key: string, worker: WorkerDef, reservedConcurrency?: number): BackendFunction {
    const caps = new Set<string>(worker.capabilities);
    const fn = this.create(this, key, {
      description: worker.summary,
      timeoutSeconds: worker.timeoutSeconds,
      memoryMb: worker.memoryMb,
      securityGroup: caps.has('db') || caps.has('refresher-db') ? this.databaseClients : this.egressOnly,
      reservedConcurrency,
    });
    const { database, vault, providers } = this.props;
    if (caps.has('db')) fn.bindAppDatabase(database);
    if (caps.has('refresher-db')) fn.bindRefresherDatabase(database);
    if (caps.has('vault')) fn.bindTokenVault(vault);
    if (caps.has('providers')) fn.bindProviders(providers, this.urls());
    this.workers.set(key, fn);
    return fn;
  }

  private urls() {
    return { frontendUrl: this.props.frontendUrl, oauthRedirectBaseUrl: this.props.oauthRedirectBaseUrl };
  }

  private create(
    scope: Construct,
    key: string,
    options: {
      description: string;
      timeoutSeconds: number;
      memoryMb: number;
      securityGroup: ec2.ISecurityGroup;
      bundleMigrations?: boolean;
      reservedConcurrency?: number;
    },
  ): BackendFunction {
    const id = constructIdFor(key);
    if (this.ids.has(id)) throw new Error(`Two function entries map to the construct id ${id}`);
    this.ids.add(id);
    return new BackendFunction(scope, id, {
      entryKey: key,
      description: `${options.description} - functions/${key}.ts`.slice(0, 256),
      timeout: Duration.seconds(options.timeoutSeconds),
      memorySize: options.memoryMb,
      vpc: this.props.network.vpc,
      vpcSubnets: this.props.network.functionSubnets,
      securityGroup: options.securityGroup,
      logRetention: this.props.logRetention,
      bundleMigrations: options.bundleMigrations,
      reservedConcurrency: options.reservedConcurrency,
    });
  }
}
