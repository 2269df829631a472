/**
 * The token vault's encryption context, defined once: shared/vault binds it into every data key, and the CDK
 * stack's IAM grant (infra/constructs/backend-function.ts) admits KMS calls only with exactly this `purpose` and
 * only these context keys. Dependency-free on purpose: the infra code imports it without the runtime.
 */
export const TOKEN_VAULT_PURPOSE = 'cloud-storage-tokens';

/** Every key of the vault's encryption context (`{ purpose, user_id, provider }`), no others. */
export const TOKEN_VAULT_CONTEXT_KEYS = ['purpose', 'user_id', 'provider'] as const;
