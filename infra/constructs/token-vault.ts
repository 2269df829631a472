import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

// One definition, shared with the runtime (shared/vault binds it; the IAM grants require it).
export { TOKEN_VAULT_CONTEXT_KEYS, TOKEN_VAULT_PURPOSE } from '#shared/vault/purpose';

export interface TokenVaultProps {
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The KMS key that wraps the data keys of provider token sets (envelope encryption). Yearly automatic rotation;
 * the key policy is the default one (the account delegates to IAM), and IAM grants exist only on the functions
 * with the `vault` capability, only for GenerateDataKey/Decrypt and only with the vault's encryption context.
 */
export class TokenVault extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'brand-cloud token vault: wraps the data keys of cloud-storage provider tokens',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: props.removalPolicy,
    });
  }
}
