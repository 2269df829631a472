import { type RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface ProviderCredentialsProps {
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The shape an operator fills in after the first deploy (see infra/README.md). Placeholders only: CloudFormation
 * writes this value when the secret is created and never again as long as the template value stays the same, so
 * the real client ids and secrets set later are kept across deployments. Do not change this template value on a
 * live stack: a changed value would overwrite the real credentials.
 */
export const PROVIDER_SECRET_TEMPLATE = {
  google_drive: { clientId: '', clientSecret: '' },
  onedrive: { clientId: '', clientSecret: '' },
  dropbox: { clientId: '', clientSecret: '' },
} as const;

/** One Secrets Manager secret with the OAuth client credentials of Google, Microsoft and Dropbox. */
export class ProviderCredentials extends Construct {
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ProviderCredentialsProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'brand-cloud OAuth client credentials of the storage providers (set after deploy)',
      // Not a secret: empty placeholders, replaced by the operator.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify(PROVIDER_SECRET_TEMPLATE)),
      removalPolicy: props.removalPolicy,
    });
  }
}
