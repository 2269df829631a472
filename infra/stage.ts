import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

export type StageName = 'dev' | 'prod';

/** Everything that differs between stages, decided once from `-c stage=…` (default dev). */
export interface StageConfig {
  readonly name: StageName;
  /**
   * Origin of the web app (CORS origin, OAuth return target, Cognito callback) when it is served under a domain
   * of its own (`-c frontendUrl=…`); by default the stack's CloudFront distribution (infra/constructs/web.ts).
   */
  readonly frontendUrl?: string;
  readonly natGateways: number;
  readonly database: {
    readonly instanceType: ec2.InstanceType;
    readonly multiAz: boolean;
    readonly deletionProtection: boolean;
    readonly backupRetention: Duration;
    readonly allocatedStorageGb: number;
    readonly maxAllocatedStorageGb: number;
  };
  /** For stateful resources (database, user pool, vault key, provider secret). */
  readonly statefulRemovalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Subscribed to the alarm topic (`-c alarmEmail=ops@example.com`); without it, subscribe after deploy. */
  readonly alarmEmail?: string;
  /**
   * Per-route throttling of the public routes that reach an outside system (sign-up, sign-in, confirm, token
   * refresh at Cognito; the OAuth callback at the providers): far below the stage's, since nobody is signed in
   * there to be limited per user.
   */
  readonly publicRouteThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Refresh workers running at once (reserved concurrency of the worker, and the SQS event source's maximum):
   * each holds up to five refresher connections through RDS Proxy and calls the providers' token endpoints.
   */
  readonly refreshWorkerConcurrency: number;
}

function validFrontendUrl(raw: string | undefined, stage: StageName): string | undefined {
  if (!raw) return undefined;
  const url = new URL(raw);
  if (url.origin !== raw.replace(/\/$/, '')) {
    throw new Error(`frontendUrl must be an origin (scheme://host[:port]), got ${raw}`);
  }
  if (stage === 'prod' && url.protocol !== 'https:') throw new Error('frontendUrl must be https in prod');
  return url.origin;
}

/** The stage named by `-c stage=dev|prod` (default dev), with an optional `-c frontendUrl=…`. */
export function stageFromContext(node: Node): StageConfig {
  const name = (node.tryGetContext('stage') as string | undefined) ?? 'dev';
  if (name !== 'dev' && name !== 'prod') throw new Error(`Unknown stage "${name}": use -c stage=dev|prod`);
  return stageConfig(
    name,
    node.tryGetContext('frontendUrl') as string | undefined,
    node.tryGetContext('alarmEmail') as string | undefined,
  );
}

function validEmail(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw)) throw new Error(`alarmEmail is not an email address: ${raw}`);
  return raw;
}

export function stageConfig(
  name: StageName,
  frontendUrlOption?: string,
  alarmEmailOption?: string,
): StageConfig {
  const frontendUrl = validFrontendUrl(frontendUrlOption, name);
  const alarmEmail = validEmail(alarmEmailOption);
  if (name === 'prod') {
    return {
      name,
      ...(frontendUrl ? { frontendUrl } : {}),
      alarmEmail,
      natGateways: 2, // one per AZ: an AZ outage does not cut the other AZ's egress
      database: {
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
        multiAz: true,
        deletionProtection: true,
        backupRetention: Duration.days(30),
        allocatedStorageGb: 50,
        maxAllocatedStorageGb: 500,
      },
      statefulRemovalPolicy: RemovalPolicy.RETAIN,
      logRetention: RetentionDays.THREE_MONTHS,
      throttle: { rateLimit: 500, burstLimit: 1000 },
      publicRouteThrottle: { rateLimit: 25, burstLimit: 50 },
      refreshWorkerConcurrency: 10,
    };
  }
  return {
    name,
    ...(frontendUrl ? { frontendUrl } : {}),
    alarmEmail,
    natGateways: 1,
    database: {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL),
      multiAz: false,
      deletionProtection: false,
      backupRetention: Duration.days(7),
      allocatedStorageGb: 20,
      maxAllocatedStorageGb: 100,
    },
    statefulRemovalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.TWO_WEEKS,
    throttle: { rateLimit: 50, burstLimit: 100 },
    publicRouteThrottle: { rateLimit: 5, burstLimit: 10 },
    refreshWorkerConcurrency: 2,
  };
}
