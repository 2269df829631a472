import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** 1 in dev (cheap), one per AZ in prod. */
  readonly natGateways: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Two AZs, three tiers: public (NAT gateways only), private with egress (the functions: provider APIs and
 * Cognito are on the internet) and isolated (database and proxy: no route out at all). Secrets Manager and KMS
 * are reached through interface endpoints, so the secret and key traffic never leaves the VPC.
 */
/** A literal (not the VPC's CidrBlock attribute), so security-group rules stay reviewable in the template. */
export const VPC_CIDR = '10.40.0.0/16';

export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly functionSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  public readonly databaseSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  public readonly endpoints: ec2.InterfaceVpcEndpoint[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // Private DNS makes the SDKs' default endpoints resolve to the interface endpoints; the endpoints' security
    // group admits HTTPS from inside the VPC only.
    for (const [name, service] of [
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
    ] as const) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.functionSubnets,
        privateDnsEnabled: true,
        open: false,
      });
      endpoint.connections.allowDefaultPortFrom(ec2.Peer.ipv4(VPC_CIDR), 'HTTPS from inside the VPC');
      this.endpoints.push(endpoint);
    }
  }
}
