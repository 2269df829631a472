import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { PASSWORD_POLICY } from '#shared/auth/password-policy';

export interface AuthProps {
  /** The web app origin: the only OAuth callback / sign-out target. */
  readonly frontendUrl: string;
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

/** Identifier and scope of the API's resource server (for OAuth authorization-code clients). */
export const RESOURCE_SERVER_ID = 'brand-api';
export const RESOURCE_SERVER_SCOPE = 'access';

/**
 * The scopes the HTTP API's JWT authorizer accepts (any one of them). Requiring a scope is what makes the
 * authorizer refuse an ID token: the ID token has the same `aud` (the client id) but no `scope` claim.
 *
 * Access tokens from USER_PASSWORD_AUTH / SRP (what /auth/login uses) carry exactly one scope,
 * `aws.cognito.signin.user.admin`; custom resource-server scopes only appear in tokens issued through the OAuth
 * endpoints. So that is the scope the API requires. It is also what the functions need: GetUser and DeleteUser
 * with the caller's access token are authorised by that scope. `brand-api/access` is accepted too, for clients
 * that sign in through the OAuth authorization-code flow.
 */
export const API_AUTHORIZATION_SCOPES = [
  'aws.cognito.signin.user.admin',
  `${RESOURCE_SERVER_ID}/${RESOURCE_SERVER_SCOPE}`,
] as const;

/**
 * Cognito user pool (email sign-in, self sign-up with an emailed code, the password policy the register handler
 * also checks) and one public app client for the web app (no secret; USER_PASSWORD_AUTH, SRP and refresh
 * tokens; 1 h access tokens; no user-existence leaks).
 */
export class Auth extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  public readonly resourceServer: cognito.UserPoolResourceServer;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: true,
      autoVerify: { email: true },
      userVerification: { emailStyle: cognito.VerificationEmailStyle.CODE },
      // An email change takes effect only once the new address is verified.
      keepOriginal: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      passwordPolicy: {
        minLength: PASSWORD_POLICY.minLength,
        requireLowercase: PASSWORD_POLICY.requireLowercase,
        requireUppercase: PASSWORD_POLICY.requireUppercase,
        requireDigits: PASSWORD_POLICY.requireDigits,
        requireSymbols: PASSWORD_POLICY.requireSymbols,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // MFA off: /auth/login answers tokens for email + password (API contract); see the cdk-nag suppression.
      mfa: cognito.Mfa.OFF,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });

    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      scopes: [
        new cognito.ResourceServerScope({ scopeName: RESOURCE_SERVER_SCOPE, scopeDescription: 'Brand API' }),
      ],
    });

    const apiScope = cognito.OAuthScope.resourceServer(
      this.resourceServer,
      new cognito.ResourceServerScope({ scopeName: RESOURCE_SERVER_SCOPE, scopeDescription: 'Brand API' }),
    );

    this.client = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userPassword: true, userSrp: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      authSessionValidity: Duration.minutes(3),
      // Only the authorization-code grant (no implicit grant); the callback is the web app itself.
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [
          apiScope,
          cognito.OAuthScope.COGNITO_ADMIN,
          cognito.OAuthScope.OPENID,
          cognito.OAuthScope.EMAIL,
        ],
        callbackUrls: [`${props.frontendUrl}/auth/callback`],
        logoutUrls: [props.frontendUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      // Users may edit their name; email changes go through verification (keepOriginal above).
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
    });
  }
}
