import { type CfnResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import type { StageConfig } from '../stage.ts';

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** Where the instance and the proxy live (isolated: no route to the internet). */
  readonly databaseSubnets: ec2.SubnetSelection;
  /** Where the rotation functions run (they need Secrets Manager, reached through the VPC endpoint). */
  readonly rotationSubnets: ec2.SubnetSelection;
  readonly settings: StageConfig['database'];
  readonly removalPolicy: RemovalPolicy;
}

/** The login roles; created by migrations/001, passwords set by the migrate function from these secrets. */
export const DB_ROLES = { owner: 'brand_owner', app: 'brand_app', refresher: 'brand_refresher' } as const;
export const DATABASE_NAME = 'brand';
const POSTGRES_PORT = 5432;
const ROTATION_PERIOD = Duration.days(30);

/**
 * RDS PostgreSQL 17 (encrypted, private, backed up) behind RDS Proxy (TLS required, password auth from
 * Secrets Manager). Three identities, one secret each: the owner (RDS master user; migrations only, straight to
 * the instance), brand_app (the functions, subject to RLS) and brand_refresher (the token-refresh job). All three
 * secrets rotate every 30 days; the proxy reads the current value, so rotation needs no redeploy.
 */
export class Database extends Construct {
  public readonly instance: rds.DatabaseInstance;
  public readonly proxy: rds.DatabaseProxy;
  public readonly ownerSecret: secretsmanager.ISecret;
  public readonly appSecret: secretsmanager.ISecret;
  public readonly refresherSecret: secretsmanager.ISecret;
  public readonly databaseName = DATABASE_NAME;
  public readonly port = POSTGRES_PORT;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { settings } = props;
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'brand-cloud PostgreSQL 17: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: settings.instanceType,
      vpc: props.vpc,
      vpcSubnets: props.databaseSubnets,
      publiclyAccessible: false,
      port: POSTGRES_PORT,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(DB_ROLES.owner),
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: settings.allocatedStorageGb,
      maxAllocatedStorage: settings.maxAllocatedStorageGb,
      multiAz: settings.multiAz,
      backupRetention: settings.backupRetention,
      deleteAutomatedBackups: false,
      deletionProtection: settings.deletionProtection,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      removalPolicy: props.removalPolicy,
    });
    this.ownerSecret = this.instance.secret!;

    this.appSecret = this.roleSecret('AppSecret', DB_ROLES.app);
    this.refresherSecret = this.roleSecret('RefresherSecret', DB_ROLES.refresher);

    this.proxy = this.instance.addProxy('Proxy', {
      vpc: props.vpc,
      vpcSubnets: props.databaseSubnets,
      // The runtime roles only: the owner connects straight to the instance (migrations), never through the proxy.
      secrets: [this.appSecret, this.refresherSecret],
      requireTLS: true,
      iamAuth: false,
      // A request that cannot get a connection soon answers 503 well before API Gateway's 30 s limit.
      borrowTimeout: Duration.seconds(10),
      debugLogging: false,
    });

    this.instance.addRotationSingleUser({
      automaticallyAfter: ROTATION_PERIOD,
      vpcSubnets: props.rotationSubnets,
      // Not while the stack is being created: the migrate Trigger logs in with this password at that moment.
      rotateImmediatelyOnUpdate: false,
    });
    for (const [name, secret] of [
      ['AppSecretRotation', this.appSecret],
      ['RefresherSecretRotation', this.refresherSecret],
    ] as const) {
      new secretsmanager.SecretRotation(this, name, {
        application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
        secret,
        target: this.instance,
        vpc: props.vpc,
        vpcSubnets: props.rotationSubnets,
        automaticallyAfter: ROTATION_PERIOD,
        // The role only exists once the migrate function has run; the first rotation waits a full period.
        rotateImmediatelyOnUpdate: false,
      });
    }
  }

  /**
   * What the deploy-time migrations need and nothing more: the instance, its security group (with the rule that
   * admits the migrate function) and the three secrets with their attachments (host and port filled in). Not the
   * proxy and not the rotation schedules: those need the roles the migrations create (see `runAfterMigrations`).
   */
  public migrationPrerequisites(): IConstruct[] {
    return [
      this.instance.node.defaultChild as rds.CfnDBInstance,
      ...this.instance.connections.securityGroups,
      ...[this.ownerSecret, this.appSecret, this.refresherSecret].flatMap(secretResources),
    ];
  }

  /**
   * Makes the proxy and the three rotation schedules wait for the migrations (`migrations`, the Trigger): the
   * proxy logs in as brand_app / brand_refresher, and a rotation of their secrets logs in as the role, and those
   * roles (and their passwords) exist only once the migrations ran. On the first deploy that ordering is the
   * difference between a working stack and a proxy target that never becomes available.
   */
  public runAfterMigrations(migrations: IConstruct): void {
    for (const resource of [...this.proxyResources(), ...this.rotationSchedules()]) {
      resource.node.addDependency(migrations);
    }
  }

  /** The proxy and its target group (its role and security group may come earlier). */
  public proxyResources(): CfnResource[] {
    return this.proxy.node
      .findAll()
      .filter((c): c is CfnResource => c instanceof rds.CfnDBProxy || c instanceof rds.CfnDBProxyTargetGroup);
  }

  public rotationSchedules(): secretsmanager.CfnRotationSchedule[] {
    return this.node
      .findAll()
      .filter(
        (c): c is secretsmanager.CfnRotationSchedule => c instanceof secretsmanager.CfnRotationSchedule,
      );
  }

  /** Lets `peer` reach the proxy (the functions: brand_app and brand_refresher). */
  public allowProxyFrom(peer: ec2.IConnectable): void {
    this.proxy.connections.allowFrom(peer, ec2.Port.tcp(POSTGRES_PORT), 'PostgreSQL through RDS Proxy');
  }

  /** Lets `peer` reach the instance itself (the migrate function only). */
  public allowInstanceFrom(peer: ec2.IConnectable): void {
    this.instance.connections.allowDefaultPortFrom(peer, 'PostgreSQL owner connection for migrations');
  }

  private roleSecret(id: string, username: string): secretsmanager.ISecret {
    // The attachment adds host/port/engine of the instance (what the rotation function logs in to);
    // the functions override the host with the proxy endpoint (DB_HOST).
    return new rds.DatabaseSecret(this, id, { username, dbname: DATABASE_NAME }).attach(this.instance);
  }
}

/** The secret and its target attachment as resources (not their rotation schedules or resource policies). */
function secretResources(secret: secretsmanager.ISecret): CfnResource[] {
  const attachment = secret.node.defaultChild;
  const owner = secret.node.scope;
  if (!(attachment instanceof secretsmanager.CfnSecretTargetAttachment) || !owner) {
    throw new Error(`${secret.node.path} is not an attached secret`);
  }
  return [attachment, owner.node.defaultChild as secretsmanager.CfnSecret];
}
