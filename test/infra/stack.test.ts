import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobEntries } from '#functions/jobs';
import { routeEntries } from '#functions/routes';
import { workers } from '#functions/workers';
import { type Capability, ROUTE_DEFAULTS } from '#shared/http/route';
import { API_AUTHORIZATION_SCOPES } from '../../infra/constructs/auth.ts';
import { ENTRY_TAG, LAMBDA_MIGRATIONS_DIR } from '../../infra/constructs/backend-function.ts';
import { TOKEN_VAULT_PURPOSE } from '../../infra/constructs/token-vault.ts';
import { CALLBACK_OUTPUTS } from '../../infra/stack.ts';
import { beforeAllStages, envOf, functionFor } from './support/stages.ts';
import {
  asArray,
  type Json,
  PROD_FRONTEND_URL,
  refTarget,
  resourcesOfType,
  type Synthesized,
  statementsOfRole,
  tagValue,
} from './support/synth.ts';

let dev: Synthesized;
let prod: Synthesized;

const routes = routeEntries();
const jobs = jobEntries();

beforeAllStages((s) => ({ dev, prod } = s));
beforeAll(async () => {
  // The synth is made from a snapshot of the sources taken at the start of the run; the tests are generated
  // from the live route table. Both must be the same table.
  const snapshot = await import(pathToFileURL(path.join(dev.sourceRoot, 'functions/routes.ts')).href);
  expect(
    snapshot.routeEntries().map(([k]: [string]) => k),
    'route table changed during the run',
  ).toEqual(routes.map(([k]) => k));
}, 900_000);

/** `https://` + the web app distribution's domain, as CloudFormation spells it. */
function distributionUrl(json: Json): Json {
  const [distributionId] = resourcesOfType(json, 'AWS::CloudFront::Distribution')[0]!;
  return { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] };
}

/** The CDK Trigger that runs `entryKey`'s function on deploy (HandlerArn → a version of that function). */
function triggersOf(json: Json, functionId: string): Array<[string, Json]> {
  return resourcesOfType(json, 'Custom::Trigger').filter(([, t]) => {
    const version = json.Resources[refTarget(t.Properties.HandlerArn)!];
    return (
      version?.Type === 'AWS::Lambda::Version' && refTarget(version.Properties.FunctionName) === functionId
    );
  });
}

/** The sources the bundle of a function was built from (from its source map). */
function bundleSources(s: Synthesized, fn: Json): string[] {
  const asset = path.join(s.dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  const map = JSON.parse(readFileSync(path.join(asset, 'index.mjs.map'), 'utf8'));
  return (map.sources as string[]).map((source) => path.resolve(asset, source));
}

function routeResource(json: Json, method: string, routePath: string): Json {
  const found = resourcesOfType(json, 'AWS::ApiGatewayV2::Route').filter(
    ([, r]) => r.Properties.RouteKey === `${method} ${routePath}`,
  );
  expect(found, `routes for ${method} ${routePath}`).toHaveLength(1);
  return found[0]![1];
}

/** Route → Target `integrations/{Ref}` → Integration → IntegrationUri → function logical id. */
function integratedFunctionId(json: Json, route: Json): string {
  const parts = route.Properties.Target['Fn::Join'][1] as Json[];
  expect(parts[0]).toBe('integrations/');
  const integration = json.Resources[refTarget(parts[1])!];
  expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
  expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
  expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
  return refTarget(integration.Properties.IntegrationUri)!;
}

/** Every resource `id` waits for: DependsOn, Ref and Fn::GetAtt, transitively. */
function dependencyClosure(json: Json, id: string): Set<string> {
  const direct = (resourceId: string): string[] => {
    const resource = json.Resources[resourceId];
    const found = new Set<string>(asArray<string>(resource.DependsOn));
    const walk = (value: Json): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const target = refTarget(value);
        if (target && json.Resources[target]) found.add(target);
        Object.values(value).forEach(walk);
      }
    };
    walk(resource.Properties);
    return [...found];
  };
  const seen = new Set<string>();
  const queue = direct(id);
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...direct(next));
  }
  return seen;
}

describe('API routes generated from the route table', () => {
  it('has exactly one API route per route-table entry and nothing else', () => {
    const keys = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(keys).toEqual(routes.map(([, r]) => `${r.method} ${r.path}`).sort());
  });

  it.each(routes)('%s: the route reaches the function built from its own entry', (key, def) => {
    const route = routeResource(dev.json, def.method, def.path);
    const [fnId, fn] = functionFor(dev.json, key);
    expect(integratedFunctionId(dev.json, route)).toBe(fnId);
    expect(fn.Properties.Description).toContain(`functions/${key}.ts`);
    // The deployed code itself: the bundle's source map lists the entry file.
    expect(bundleSources(dev, fn)).toContain(path.join(dev.sourceRoot, 'functions', `${key}.ts`));
  });

  it('uses a different function for every route', () => {
    const targets = routes.map(([, def]) =>
      integratedFunctionId(dev.json, routeResource(dev.json, def.method, def.path)),
    );
    expect(new Set(targets).size).toBe(routes.length);
  });

  it.each(routes)('%s: JWT authorizer with required scopes exactly when not public', (_key, def) => {
    const route = routeResource(dev.json, def.method, def.path);
    if (def.auth === 'jwt') {
      expect(route.Properties.AuthorizationType).toBe('JWT');
      expect(dev.json.Resources[refTarget(route.Properties.AuthorizerId)!].Type).toBe(
        'AWS::ApiGatewayV2::Authorizer',
      );
      expect(route.Properties.AuthorizationScopes).toEqual([...API_AUTHORIZATION_SCOPES]);
    } else {
      expect(route.Properties.AuthorizationType).toBe('NONE');
      expect(route.Properties.AuthorizerId).toBeUndefined();
      expect(route.Properties.AuthorizationScopes).toBeUndefined();
    }
  });

  it('requires a scope that Cognito access tokens from USER_PASSWORD_AUTH carry (ID tokens carry none)', () => {
    expect(API_AUTHORIZATION_SCOPES).toContain('aws.cognito.signin.user.admin');
  });

  it('validates Cognito access tokens: issuer is the user pool, audience is the web client', () => {
    const authorizers = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [, authorizer] = authorizers[0]!;
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(authorizer.Properties.IdentitySource).toEqual(['$request.header.Authorization']);
    const [clientId] = resourcesOfType(dev.json, 'AWS::Cognito::UserPoolClient')[0]!;
    const [poolId] = resourcesOfType(dev.json, 'AWS::Cognito::UserPool')[0]!;
    expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: clientId }]);
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain('https://cognito-idp.');
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain(`{"Ref":"${poolId}"}`);
  });

  it('lets API Gateway invoke each route function only through its own route path', () => {
    const [apiId] = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Api')[0]!;
    for (const [key, def] of routes) {
      const [fnId] = functionFor(dev.json, key);
      const permissions = resourcesOfType(dev.json, 'AWS::Lambda::Permission').filter(
        ([, p]) => refTarget(p.Properties.FunctionName) === fnId,
      );
      expect(permissions, key).toHaveLength(1);
      const [, permission] = permissions[0]!;
      expect(permission.Properties.Principal).toBe('apigateway.amazonaws.com');
      const arn = JSON.stringify(permission.Properties.SourceArn);
      expect(arn).toContain(`{"Ref":"${apiId}"}`);
      expect(arn).toContain(`"/*/*${def.path}"`);
    }
  });
});

describe('functions', () => {
  it('has one function per route-table, job-table and worker-table entry', () => {
    const entries = resourcesOfType(dev.json, 'AWS::Lambda::Function')
      .map(([, fn]) => tagValue(fn, ENTRY_TAG))
      .filter(Boolean)
      .sort();
    expect(entries).toEqual(
      [...routes.map(([k]) => k), ...jobs.map(([k]) => k), ...Object.keys(workers)].sort(),
    );
  });

  it('runs every function of the stack on nodejs24.x and arm64', () => {
    const functions = resourcesOfType(dev.json, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(routes.length);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
    }
  });

  it.each([
    ...routes.map(
      ([k, r]) => [k, r.timeoutSeconds ?? ROUTE_DEFAULTS.timeoutSeconds, r.memoryMb ?? 512] as const,
    ),
    ...jobs.map(([k, j]) => [k, j.timeoutSeconds, j.memoryMb] as const),
  ])('%s: timeout %ss, memory %sMB, ESM bundle with source maps, own log group', (key, timeout, memory) => {
    const [, fn] = functionFor(dev.json, key);
    expect(fn.Properties.Timeout).toBe(timeout);
    expect(fn.Properties.MemorySize).toBe(memory);
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(envOf(fn).NODE_OPTIONS).toBe('--enable-source-maps');
    const logGroup = dev.json.Resources[refTarget(fn.Properties.LoggingConfig.LogGroup)!];
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
    const asset = path.join(dev.dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const code = readFileSync(path.join(asset, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __brandCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(existsSync(path.join(asset, 'index.mjs.map'))).toBe(true);
  });

  it('places every function in the private subnets with egress', () => {
    const privateSubnets = new Set(
      resourcesOfType(dev.json, 'AWS::EC2::Subnet')
        .filter(([, s]) => tagValue(s, 'aws-cdk:subnet-type') === 'Private')
        .map(([id]) => id),
    );
    expect(privateSubnets.size).toBe(2);
    for (const [key] of [...routes, ...jobs]) {
      const [, fn] = functionFor(dev.json, key);
      const subnets = fn.Properties.VpcConfig.SubnetIds.map(refTarget);
      expect(new Set(subnets), key).toEqual(privateSubnets);
    }
  });
});

/** The environment variables and the Secrets Manager / KMS access each capability adds, nothing more. */
describe('least privilege from capabilities', () => {
  const CAPABILITY_ENV: Record<Capability, string[]> = {
    db: ['DB_SECRET_ARN', 'DB_HOST', 'DB_NAME'],
    cognito: ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID'],
    'cognito-undo-signup': ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID'],
    vault: ['TOKEN_VAULT_KMS_KEY_ARN'],
    providers: ['PROVIDER_SECRET_ARN', 'FRONTEND_URL', 'OAUTH_REDIRECT_BASE_URL'],
    'signing-key': ['SIGNING_KEY_SECRET_ARN'],
    'documents-upload': ['DOCUMENTS_BUCKET'],
    'documents-read': ['DOCUMENTS_BUCKET'],
    'documents-delete': ['DOCUMENTS_BUCKET'],
    'documents-delete-object': ['DOCUMENTS_BUCKET'],
    'documents-import': ['DOCUMENTS_QUEUE_URL'],
  };
  const ALWAYS = ['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'LOG_LEVEL'];

  const secretId = (name: string): string => {
    const found =
      resourcesOfType(dev.json, 'AWS::SecretsManager::SecretTargetAttachment').find(([id]) =>
        id.startsWith(name),
      ) ?? resourcesOfType(dev.json, 'AWS::SecretsManager::Secret').find(([id]) => id.startsWith(name));
    expect(found, name).toBeDefined();
    return found![0];
  };

  it.each(routes)('%s: environment is exactly what its capabilities name', (key, def) => {
    const [, fn] = functionFor(dev.json, key);
    const expected = new Set([...ALWAYS, ...def.capabilities.flatMap((c) => CAPABILITY_ENV[c])]);
    if (def.auth === 'jwt') expected.add('COGNITO_CLIENT_ID');
    expect(Object.keys(envOf(fn)).sort()).toEqual([...expected].sort());
    if (def.capabilities.includes('db')) {
      const [proxyId] = resourcesOfType(dev.json, 'AWS::RDS::DBProxy')[0]!;
      expect(envOf(fn).DB_HOST).toEqual({ 'Fn::GetAtt': [proxyId, 'Endpoint'] });
      expect(refTarget(envOf(fn).DB_SECRET_ARN)).toBe(secretId('DatabaseAppSecretAttachment'));
    }
  });

  it.each([...routes, ...jobs])('%s: reads only the secrets its capabilities need', (key, def) => {
    const [, fn] = functionFor(dev.json, key);
    const caps = new Set<string>(def.capabilities);
    const expected = new Set<string>();
    if (caps.has('db')) expected.add(secretId('DatabaseAppSecretAttachment'));
    if (caps.has('refresher-db')) expected.add(secretId('DatabaseRefresherSecretAttachment'));
    if (caps.has('providers')) expected.add(secretId('ProviderCredentialsSecret'));
    if (caps.has('signing-key')) expected.add(secretId('SigningKeySecret'));
    if (caps.has('webhooks')) expected.add(secretId('EventsWebhookSecret'));
    if (caps.has('migrations')) {
      for (const s of [
        'DatabaseInstanceSecretAttachment',
        'DatabaseAppSecretAttachment',
        'DatabaseRefresherSecretAttachment',
      ]) {
        expected.add(secretId(s));
      }
    }
    const statements = statementsOfRole(dev.json, refTarget(fn.Properties.Role)!);
    const secretStatements = statements.filter((s) =>
      asArray<string>(s.Action).some((a) => a.startsWith('secretsmanager:')),
    );
    for (const s of secretStatements) expect(asArray(s.Action)).toEqual(['secretsmanager:GetSecretValue']);
    const read = new Set(secretStatements.flatMap((s) => asArray(s.Resource).map(refTarget)));
    expect(read).toEqual(expected);
  });

  it('grants kms:Decrypt/GenerateDataKey only with the vault encryption context, on the vault key only', () => {
    const [keyId] = resourcesOfType(dev.json, 'AWS::KMS::Key')[0]!;
    const roles = resourcesOfType(dev.json, 'AWS::IAM::Role');
    let grants = 0;
    for (const [roleId] of roles) {
      for (const s of statementsOfRole(dev.json, roleId)) {
        const actions = asArray<string>(s.Action);
        if (!actions.some((a) => a.startsWith('kms:'))) continue;
        grants++;
        expect(actions.sort(), roleId).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
        expect(s.Effect).toBe('Allow');
        expect(asArray(s.Resource).map(refTarget)).toEqual([keyId]);
        expect(s.Condition).toEqual({
          StringEquals: { 'kms:EncryptionContext:purpose': TOKEN_VAULT_PURPOSE },
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose', 'user_id', 'provider'] },
        });
      }
    }
    expect(grants).toBeGreaterThan(0);
  });

  it.each([...routes, ...jobs])('%s: KMS access exactly when it has the vault capability', (key, def) => {
    const [, fn] = functionFor(dev.json, key);
    const kmsStatements = statementsOfRole(dev.json, refTarget(fn.Properties.Role)!).filter((s) =>
      asArray<string>(s.Action).some((a) => a.startsWith('kms:')),
    );
    expect(kmsStatements).toHaveLength((def.capabilities as readonly string[]).includes('vault') ? 1 : 0);
  });

  it('grants no wildcard actions and no Cognito admin API but AdminDeleteUser, to the functions that undo a sign-up', () => {
    const undoRoles = new Set(
      [...routes]
        .filter(([, def]) => (def.capabilities as readonly string[]).includes('cognito-undo-signup'))
        .map(([key]) => refTarget(functionFor(dev.json, key)[1].Properties.Role)),
    );
    expect(undoRoles.size).toBe(1);
    const [poolId] = resourcesOfType(dev.json, 'AWS::Cognito::UserPool')[0]!;
    for (const [roleId] of resourcesOfType(dev.json, 'AWS::IAM::Role')) {
      for (const s of statementsOfRole(dev.json, roleId)) {
        for (const action of asArray<string>(s.Action)) {
          expect(action.endsWith('*'), `${roleId}: ${action}`).toBe(false);
          if (!action.startsWith('cognito-idp:')) continue;
          expect(action, roleId).toBe('cognito-idp:AdminDeleteUser');
          expect(undoRoles.has(roleId), roleId).toBe(true);
          expect(JSON.stringify(s.Resource)).toContain(poolId);
        }
      }
    }
  });

  it('uses no AWS managed policies on the function roles', () => {
    for (const [key] of [...routes, ...jobs]) {
      const [, fn] = functionFor(dev.json, key);
      expect(dev.json.Resources[refTarget(fn.Properties.Role)!].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('token vault and secrets', () => {
  it('rotates the token vault key', () => {
    dev.template.resourceCountIs('AWS::KMS::Key', 1);
    dev.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('keeps the provider credentials in one secret, placeholders only', () => {
    const [, secret] = resourcesOfType(dev.json, 'AWS::SecretsManager::Secret').find(([id]) =>
      id.startsWith('ProviderCredentialsSecret'),
    )!;
    const value = JSON.parse(secret.Properties.SecretString);
    expect(Object.keys(value).sort()).toEqual(['dropbox', 'google_drive', 'onedrive']);
    for (const provider of Object.values(value) as Array<Record<string, string>>) {
      expect(provider).toEqual({ clientId: '', clientSecret: '' });
    }
  });

  it('generates the signing key, and only the routes that sign cursors or derive PKCE verifiers read it', () => {
    const [secretId, secret] = resourcesOfType(dev.json, 'AWS::SecretsManager::Secret').find(([id]) =>
      id.startsWith('SigningKeySecret'),
    )!;
    // Generated by Secrets Manager: the value is in no template, no repository and no log.
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.Properties.GenerateSecretString).toMatchObject({
      GenerateStringKey: 'key',
      PasswordLength: 64,
    });
    const readers = [...routes, ...jobs]
      .filter(([key]) => {
        const [, fn] = functionFor(dev.json, key);
        return statementsOfRole(dev.json, refTarget(fn.Properties.Role)!).some((s) =>
          asArray(s.Resource).some((r) => refTarget(r) === secretId),
        );
      })
      .map(([key]) => key)
      .sort();
    expect(readers).toEqual(['cloud-storage/callback', 'cloud-storage/connect', 'cloud-storage/list-files']);
  });

  it('rotates the three database secrets', () => {
    const schedules = resourcesOfType(dev.json, 'AWS::SecretsManager::RotationSchedule').map(([, s]) =>
      refTarget(s.Properties.SecretId),
    );
    expect(schedules.sort()).toEqual(
      resourcesOfType(dev.json, 'AWS::SecretsManager::SecretTargetAttachment')
        .map(([id]) => id)
        .sort(),
    );
  });
});

describe('database', () => {
  it('is PostgreSQL 17, encrypted, private, backed up, TLS only', () => {
    dev.template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^17'),
      StorageEncrypted: true,
      PubliclyAccessible: false,
      BackupRetentionPeriod: Match.anyValue(),
      MasterUsername: 'brand_owner',
      DBName: 'brand',
    });
    const [, db] = resourcesOfType(dev.json, 'AWS::RDS::DBInstance')[0]!;
    expect(db.Properties.BackupRetentionPeriod).toBeGreaterThanOrEqual(7);
    dev.template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  it('is Multi-AZ with deletion protection in prod only', () => {
    dev.template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false, DeletionProtection: false });
    prod.template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true });
    prod.template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain' });
  });

  it('lives in isolated subnets (no route out)', () => {
    const [, group] = resourcesOfType(dev.json, 'AWS::RDS::DBSubnetGroup')[0]!;
    const subnets = group.Properties.SubnetIds.map(refTarget) as string[];
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) {
      expect(tagValue(dev.json.Resources[subnet], 'aws-cdk:subnet-type')).toBe('Isolated');
      const tables = resourcesOfType(dev.json, 'AWS::EC2::SubnetRouteTableAssociation')
        .filter(([, a]) => refTarget(a.Properties.SubnetId) === subnet)
        .map(([, a]) => refTarget(a.Properties.RouteTableId));
      const routesOut = resourcesOfType(dev.json, 'AWS::EC2::Route').filter(([, r]) =>
        tables.includes(refTarget(r.Properties.RouteTableId)),
      );
      expect(routesOut).toEqual([]);
    }
  });

  it('is reached through RDS Proxy with TLS required, password auth from the two runtime role secrets', () => {
    dev.template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    const [, proxy] = resourcesOfType(dev.json, 'AWS::RDS::DBProxy')[0]!;
    expect(proxy.Properties.Auth).toHaveLength(2);
    for (const auth of proxy.Properties.Auth) {
      expect(auth).toMatchObject({ AuthScheme: 'SECRETS', IAMAuth: 'DISABLED' });
    }
    // The owner (migrations only) connects straight to the instance; the proxy has no use for its password.
    expect(proxy.Properties.Auth.map((a: Json) => refTarget(a.SecretArn)).sort()).toEqual(
      resourcesOfType(dev.json, 'AWS::SecretsManager::SecretTargetAttachment')
        .map(([id]) => id)
        .filter((id) => id.startsWith('DatabaseAppSecret') || id.startsWith('DatabaseRefresherSecret'))
        .sort(),
    );
  });
});

describe('auth', () => {
  it('has an email sign-in user pool with a strong password policy and email verification', () => {
    dev.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
  });

  it('has a public web client: password, SRP and refresh flows, 1 h access tokens, no existence leaks', () => {
    const [, client] = resourcesOfType(dev.json, 'AWS::Cognito::UserPoolClient')[0]!;
    expect(client.Properties.GenerateSecret).toBe(false);
    expect([...client.Properties.ExplicitAuthFlows].sort()).toEqual([
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
    expect(client.Properties.PreventUserExistenceErrors).toBe('ENABLED');
    expect(client.Properties.AccessTokenValidity).toBe(60);
    expect(client.Properties.TokenValidityUnits.AccessToken).toBe('minutes');
    expect(client.Properties.AllowedOAuthFlows).toEqual(['code']);
    dev.template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'brand-api',
      Scopes: [Match.objectLike({ ScopeName: 'access' })],
    });
  });
});

describe('API stage', () => {
  it('allows CORS from the web app origin only', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: [distributionUrl(dev.json)] }),
    });
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: [PROD_FRONTEND_URL] }),
    });
  });

  it('throttles the default stage and writes JSON access logs without headers or query strings', () => {
    const [, stage] = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.Properties.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    const format = stage.Properties.AccessLogSettings.Format as string;
    expect(Object.keys(JSON.parse(format))).toContain('requestId');
    expect(format).not.toMatch(/header|querystring|authorization/i);
    expect(dev.json.Resources[refTarget(stage.Properties.AccessLogSettings.DestinationArn)!].Type).toBe(
      'AWS::Logs::LogGroup',
    );
  });

  it('throttles each public route that reaches Cognito or a provider in the stage, far below the stage', () => {
    for (const [synth, name] of [
      [dev, 'dev'],
      [prod, 'prod'],
    ] as const) {
      const [stageId, stage] = resourcesOfType(synth.json, 'AWS::ApiGatewayV2::Stage')[0]!;
      const expected = routes
        .filter(
          ([, def]) =>
            def.auth === 'public' &&
            (def.capabilities as readonly string[]).some((c) => c.startsWith('cognito') || c === 'providers'),
        )
        .map(([, def]) => `${def.method} ${def.path}`)
        .sort();
      expect(expected).toEqual(
        expect.arrayContaining([
          'POST /auth/register',
          'POST /auth/login',
          'POST /auth/confirm',
          'POST /auth/refresh',
        ]),
      );
      const settings = stage.Properties.RouteSettings as Record<
        string,
        { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
      >;
      expect(Object.keys(settings).sort(), name).toEqual(expected);
      const stageDefault = stage.Properties.DefaultRouteSettings;
      for (const routeKey of expected) {
        expect(settings[routeKey]!.ThrottlingRateLimit).toBeLessThanOrEqual(
          stageDefault.ThrottlingRateLimit / 10,
        );
        expect(settings[routeKey]!.ThrottlingBurstLimit).toBeLessThanOrEqual(
          stageDefault.ThrottlingBurstLimit / 10,
        );
      }
      // The stage may name a route only once it exists.
      const dependsOn = new Set(synth.json.Resources[stageId].DependsOn as string[]);
      const routeIds = resourcesOfType(synth.json, 'AWS::ApiGatewayV2::Route')
        .filter(([, r]) => expected.includes(r.Properties.RouteKey))
        .map(([id]) => id);
      expect(routeIds).toHaveLength(expected.length);
      for (const id of routeIds) expect(dependsOn.has(id), id).toBe(true);
    }
  });

  it('gives the OAuth functions the API URL without a dependency cycle', () => {
    const [apiId] = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Api')[0]!;
    const oauthRoutes = routes.filter(([, d]) => (d.capabilities as readonly string[]).includes('providers'));
    expect(oauthRoutes.length).toBeGreaterThan(0);
    for (const [key] of oauthRoutes) {
      const [, fn] = functionFor(dev.json, key);
      expect(envOf(fn).OAUTH_REDIRECT_BASE_URL, key).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
      expect(envOf(fn).FRONTEND_URL, key).toEqual(distributionUrl(dev.json));
    }
  });
});

describe('jobs', () => {
  it('runs the token refresh every 5 minutes', () => {
    const [refreshId] = functionFor(dev.json, 'token-refresh/handler');
    const rules = resourcesOfType(dev.json, 'AWS::Events::Rule').filter(([, r]) =>
      r.Properties.Targets.some((t: Json) => refTarget(t.Arn) === refreshId),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets.map((t: Json) => refTarget(t.Arn))).toEqual([refreshId]);
    const permission = resourcesOfType(dev.json, 'AWS::Lambda::Permission').find(
      ([, p]) => refTarget(p.Properties.FunctionName) === refreshId,
    );
    expect(permission?.[1].Properties.Principal).toBe('events.amazonaws.com');
  });

  it('alarms on failed refresh runs and on the refresh metrics the job table names', async () => {
    const [refreshId] = functionFor(dev.json, 'token-refresh/handler');
    const alarms = resourcesOfType(dev.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(
      alarms.some(
        (a) => a.MetricName === 'Errors' && a.Dimensions?.some((d: Json) => refTarget(d.Value) === refreshId),
      ),
    ).toBe(true);
    const { jobs: table } = await import(pathToFileURL(path.join(dev.sourceRoot, 'functions/jobs.ts')).href);
    const { REFRESH_METRICS } = await import(
      pathToFileURL(path.join(dev.sourceRoot, 'functions/token-refresh/metrics.ts')).href
    );
    const watched = table['token-refresh/handler'].alarmOnMetrics;
    expect(watched.names.length).toBeGreaterThan(0);
    for (const name of watched.names) {
      // The names must be metrics the refresh actually emits.
      expect(Object.values(REFRESH_METRICS)).toContain(name);
      expect(alarms.some((a) => a.MetricName === name && a.Namespace === watched.namespace)).toBe(true);
    }
  });

  it('ships the token refresh (scheduler and worker) without the Drive, Graph and Dropbox SDKs (the file functions do ship them)', () => {
    // Packages of the file SDKs, and strings only their code contains (class names, API method names).
    const sdkPackages =
      /node_modules\/(@googleapis\/drive|googleapis-common|@microsoft\/microsoft-graph-client|dropbox|google-auth-library|gaxios)\//;
    const sdkMarkers = [
      'DropboxResponseError',
      'filesListFolder',
      'GraphClientError',
      'drive_v3',
      'googleapis-common',
    ];
    const shipped = (key: string) => {
      const [, fn] = functionFor(dev.json, key);
      const asset = path.join(dev.dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const code = readFileSync(path.join(asset, 'index.mjs'), 'utf8');
      return {
        packages: bundleSources(dev, fn).filter((source) => sdkPackages.test(source)),
        markers: sdkMarkers.filter((marker) => code.includes(marker)),
      };
    };

    expect(shipped('token-refresh/handler')).toEqual({ packages: [], markers: [] });
    expect(shipped('token-refresh/worker')).toEqual({ packages: [], markers: [] });
    // The same search finds them where they belong: the search itself works on a shipped bundle.
    const files = shipped('cloud-storage/list-files');
    expect(files.packages.length).toBeGreaterThan(0);
    expect(files.markers).toEqual(sdkMarkers);
  });

  it('retries no scheduled run: neither EventBridge nor Lambda (the next run is minutes away)', () => {
    const rules = resourcesOfType(dev.json, 'AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [ruleId, rule] of rules) {
      for (const target of rule.Properties.Targets) {
        expect(target.RetryPolicy?.MaximumRetryAttempts, ruleId).toBe(0);
        const fnId = refTarget(target.Arn)!;
        const configs = resourcesOfType(dev.json, 'AWS::Lambda::EventInvokeConfig').filter(
          ([, c]) => refTarget(c.Properties.FunctionName) === fnId,
        );
        expect(configs, `${fnId} async invoke config`).toHaveLength(1);
        expect(configs[0]![1].Properties.MaximumRetryAttempts).toBe(0);
        // Overlapping runs are counted: an alarm on the function's concurrent executions above 1.
        const overlap = resourcesOfType(dev.json, 'AWS::CloudWatch::Alarm').filter(
          ([, a]) =>
            a.Properties.MetricName === 'ConcurrentExecutions' &&
            a.Properties.Dimensions?.some((d: Json) => refTarget(d.Value) === fnId),
        );
        expect(overlap, `${fnId} overlap alarm`).toHaveLength(1);
        expect(overlap[0]![1].Properties.Threshold).toBe(2);
      }
    }
  });

  it('gives the refresh worker the refresher database role, the vault and the providers; the scheduler only the database and the queue', () => {
    const [, worker] = functionFor(dev.json, 'token-refresh/worker');
    const env = envOf(worker);
    expect(env.REFRESHER_DB_SECRET_ARN).toBeDefined();
    expect(env.DB_SECRET_ARN).toBeUndefined();
    expect(env.TOKEN_VAULT_KMS_KEY_ARN).toBeDefined();
    expect(env.PROVIDER_SECRET_ARN).toBeDefined();
    const scheduler = envOf(functionFor(dev.json, 'token-refresh/handler')[1]);
    expect(scheduler.REFRESHER_DB_SECRET_ARN).toBeDefined();
    expect(scheduler.REFRESH_QUEUE_URL).toBeDefined();
    expect(scheduler.TOKEN_VAULT_KMS_KEY_ARN).toBeUndefined();
    expect(scheduler.PROVIDER_SECRET_ARN).toBeUndefined();
  });

  it('runs the migrate function on deploy, after the database and before the route functions', () => {
    const [migrateId, migrate] = functionFor(dev.json, 'migrate/handler');
    // Two Triggers: the migrations, and the web app upload (infra/constructs/web.ts).
    expect(resourcesOfType(dev.json, 'Custom::Trigger')).toHaveLength(2);
    const triggers = triggersOf(dev.json, migrateId);
    expect(triggers).toHaveLength(1);
    const [triggerId, trigger] = triggers[0]!;
    const version = dev.json.Resources[refTarget(trigger.Properties.HandlerArn)!];
    expect(version.Type).toBe('AWS::Lambda::Version');
    expect(refTarget(version.Properties.FunctionName)).toBe(migrateId);
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    const [dbId] = resourcesOfType(dev.json, 'AWS::RDS::DBInstance')[0]!;
    expect(trigger.DependsOn).toContain(dbId);
    // Directly, or through the nested stack the function lives in (its resource waits for the Trigger).
    const waitsFor = (id: string, target: string): boolean => {
      const deps = asArray<string>(dev.json.Resources[id].DependsOn);
      return (
        deps.includes(target) ||
        deps.some(
          (dep) =>
            dev.json.Resources[dep].Type === 'AWS::CloudFormation::Stack' &&
            asArray<string>(dev.json.Resources[dep].DependsOn).includes(target),
        )
      );
    };
    for (const [key] of [...routes, ...jobs.filter(([, j]) => !j.runOnDeploy)]) {
      const [fnId] = functionFor(dev.json, key);
      expect(waitsFor(fnId, triggerId), key).toBe(true);
    }
    for (const key of Object.keys(workers)) {
      expect(waitsFor(functionFor(dev.json, key)[0], triggerId), key).toBe(true);
    }
    // Owner connection straight to the instance, with the runtime roles' secrets and the bundled migrations.
    const env = envOf(migrate);
    expect(env.DB_HOST).toEqual({ 'Fn::GetAtt': [dbId, 'Endpoint.Address'] });
    expect(env.MIGRATIONS_DIR).toBe(LAMBDA_MIGRATIONS_DIR);
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
    for (const name of ['DB_OWNER_SECRET_ARN', 'DB_SECRET_ARN', 'REFRESHER_DB_SECRET_ARN', 'DB_NAME']) {
      expect(env[name], name).toBeDefined();
    }
  });

  describe.each(['dev', 'prod'] as const)('%s: first-deploy ordering', (stage) => {
    const json = () => (stage === 'dev' ? dev : prod).json;
    const trigger = () => triggersOf(json(), functionFor(json(), 'migrate/handler')[0])[0]!;
    const ofType = (type: string) => resourcesOfType(json(), type).map(([id]) => id);

    it('the migrate Trigger waits for the instance, its security group, the secrets and the endpoints only', () => {
      const [, t] = trigger();
      const types = new Set(asArray<string>(t.DependsOn).map((id) => json().Resources[id].Type));
      expect([...types].sort()).toEqual(
        [
          'AWS::EC2::SecurityGroup',
          'AWS::EC2::SecurityGroupIngress',
          'AWS::EC2::VPCEndpoint',
          'AWS::RDS::DBInstance',
          'AWS::SecretsManager::Secret',
          'AWS::SecretsManager::SecretTargetAttachment',
        ].sort(),
      );
      const direct = new Set(asArray<string>(t.DependsOn));
      for (const id of [
        ...ofType('AWS::RDS::DBInstance'),
        ...ofType('AWS::SecretsManager::SecretTargetAttachment'),
        ...ofType('AWS::EC2::VPCEndpoint'),
      ]) {
        expect(direct.has(id), id).toBe(true);
      }
      // The instance's security group with the rule admitting the migrate function.
      const [instanceId, instance] = resourcesOfType(json(), 'AWS::RDS::DBInstance')[0]!;
      const instanceSg = refTarget(instance.Properties.VPCSecurityGroups[0])!;
      expect(direct.has(instanceSg), `${instanceId} security group`).toBe(true);
      const migrationRule = resourcesOfType(json(), 'AWS::EC2::SecurityGroupIngress').find(
        ([, r]) =>
          refTarget(r.Properties.GroupId) === instanceSg &&
          String(refTarget(r.Properties.SourceSecurityGroupId)).startsWith('FunctionsMigrationClients'),
      );
      expect(migrationRule && direct.has(migrationRule[0])).toBe(true);
    });

    it('the migrate Trigger does not wait, even indirectly, for the proxy or a rotation schedule', () => {
      const [triggerId] = trigger();
      const reached = dependencyClosure(json(), triggerId);
      for (const type of [
        'AWS::RDS::DBProxy',
        'AWS::RDS::DBProxyTargetGroup',
        'AWS::SecretsManager::RotationSchedule',
        'AWS::Serverless::Application',
      ]) {
        expect(
          [...reached].filter((id) => json().Resources[id].Type === type),
          type,
        ).toEqual([]);
      }
    });

    it('the proxy, its target group and all three rotation schedules wait for the Trigger', () => {
      const [triggerId] = trigger();
      const waiting = [
        ...ofType('AWS::RDS::DBProxy'),
        ...ofType('AWS::RDS::DBProxyTargetGroup'),
        ...ofType('AWS::SecretsManager::RotationSchedule'),
      ];
      expect(waiting).toHaveLength(5);
      for (const id of waiting) expect(asArray(json().Resources[id].DependsOn), id).toContain(triggerId);
    });

    it('rotates no secret while the stack is created (the first rotation waits a full period)', () => {
      const schedules = resourcesOfType(json(), 'AWS::SecretsManager::RotationSchedule');
      expect(schedules).toHaveLength(3);
      for (const [id, schedule] of schedules) {
        expect(schedule.Properties.RotateImmediatelyOnUpdate, id).toBe(false);
        expect(schedule.Properties.RotationRules.ScheduleExpression, id).toBe('rate(30 days)');
      }
    });
  });

  it('bundles every migration file with the migrate function', () => {
    const [, migrate] = functionFor(dev.json, 'migrate/handler');
    const asset = path.join(dev.dir, `asset.${migrate.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const source = readdirSync(path.join(dev.sourceRoot, 'migrations')).sort();
    expect(source.filter((f) => f.endsWith('.up.sql')).length).toBeGreaterThan(0);
    expect(readdirSync(path.join(asset, 'migrations')).sort()).toEqual(source);
    for (const file of source) {
      expect(readFileSync(path.join(asset, 'migrations', file), 'utf8')).toBe(
        readFileSync(path.join(dev.sourceRoot, 'migrations', file), 'utf8'),
      );
    }
  });
});

describe('events and webhooks', () => {
  it('puts events on one custom bus; only the relay may, on that bus only; one relay at a time', () => {
    const buses = resourcesOfType(dev.json, 'AWS::Events::EventBus');
    expect(buses).toHaveLength(1);
    const [busId] = buses[0]!;
    const [relayId, relay] = functionFor(dev.json, 'events/relay');
    expect(refTarget(envOf(relay).EVENT_BUS_NAME)).toBe(busId);
    expect(relay.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(envOf(relay).REFRESHER_DB_SECRET_ARN).toBeDefined();
    for (const [roleId] of resourcesOfType(dev.json, 'AWS::IAM::Role')) {
      const puts = statementsOfRole(dev.json, roleId).filter((st) =>
        asArray<string>(st.Action).includes('events:PutEvents'),
      );
      if (roleId !== refTarget(relay.Properties.Role)) {
        expect(puts, roleId).toEqual([]);
        continue;
      }
      expect(puts).toHaveLength(1);
      expect(JSON.stringify(puts[0]!.Resource)).toContain(busId);
    }
    const schedule = resourcesOfType(dev.json, 'AWS::Events::Rule').find(([, r]) =>
      r.Properties.Targets.some((t: Json) => refTarget(t.Arn) === relayId),
    );
    expect(schedule?.[1].Properties.ScheduleExpression).toBe('rate(1 minute)');
  });

  it('gives the webhook deliverer the signing secret and the dead-letter queue, and alarms on dead letters', () => {
    const [delivererId, deliverer] = functionFor(dev.json, 'events/webhooks');
    const env = envOf(deliverer);
    const [secretId] = resourcesOfType(dev.json, 'AWS::SecretsManager::Secret').find(([id]) =>
      id.startsWith('EventsWebhookSecret'),
    )!;
    const [queueId, queue] = resourcesOfType(dev.json, 'AWS::SQS::Queue').find(([id]) =>
      id.startsWith('EventsWebhookDeadLetters'),
    )!;
    expect(refTarget(env.WEBHOOK_SECRET_ARN)).toBe(secretId);
    expect(JSON.stringify(env.WEBHOOK_DLQ_URL)).toContain(queueId);
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(deliverer.Properties.ReservedConcurrentExecutions).toBe(1);
    const statements = statementsOfRole(dev.json, refTarget(deliverer.Properties.Role)!);
    const reads = statements.filter((st) =>
      asArray<string>(st.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(reads.some((st) => refTarget(st.Resource) === secretId)).toBe(true);
    const sends = statements.filter((st) => asArray<string>(st.Action).includes('sqs:SendMessage'));
    expect(sends.map((st) => JSON.stringify(st.Resource))).toEqual([expect.stringContaining(queueId)]);
    const alarms = resourcesOfType(dev.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(
      alarms.some(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(queueId) &&
          a.Threshold === 1,
      ),
    ).toBe(true);
    expect(alarms.some((a) => a.MetricName === 'WebhooksDeadLettered')).toBe(true);
    expect(
      alarms.some(
        (a) =>
          a.MetricName === 'Errors' && a.Dimensions?.some((d: Json) => refTarget(d.Value) === delivererId),
      ),
    ).toBe(true);
  });
});

describe('operations: every alarm notifies someone', () => {
  const topicOf = (json: Json) => {
    const topics = resourcesOfType(json, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    return topics[0]![0];
  };

  it.each(['dev', 'prod'] as const)('%s: every alarm has the alarm topic as alarm and OK action', (stage) => {
    const json = (stage === 'dev' ? dev : prod).json;
    const topic = topicOf(json);
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(8);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topic }]);
    }
  });

  it('publishes to the topic over TLS only', () => {
    const topic = topicOf(dev.json);
    const policies = resourcesOfType(dev.json, 'AWS::SNS::TopicPolicy').filter(([, p]) =>
      p.Properties.Topics.some((t: Json) => refTarget(t) === topic),
    );
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(
      statements.some(
        (st: Json) => st.Effect === 'Deny' && JSON.stringify(st.Condition).includes('aws:SecureTransport'),
      ),
    ).toBe(true);
  });

  const alarmsBy = (json: Json, match: (a: Json) => boolean) =>
    resourcesOfType(json, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter(match);

  it('alarms on API 5xx answers', () => {
    const [apiId] = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Api')[0]!;
    const found = alarmsBy(dev.json, (a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx');
    expect(found).toHaveLength(1);
    expect(found[0].Dimensions).toEqual([{ Name: 'ApiId', Value: { Ref: apiId } }]);
  });

  it('alarms on RDS Proxy session pinning and on its connections near the limit', () => {
    const [proxyId] = resourcesOfType(dev.json, 'AWS::RDS::DBProxy')[0]!;
    const pinning = alarmsBy(dev.json, (a) => a.MetricName === 'DatabaseConnectionsCurrentlySessionPinned');
    expect(pinning).toHaveLength(1);
    expect(pinning[0].Dimensions).toEqual([{ Name: 'ProxyName', Value: { Ref: proxyId } }]);
    const connections = alarmsBy(dev.json, (a) =>
      (a.Metrics ?? []).some((m: Json) => m.MetricStat?.Metric?.MetricName === 'DatabaseConnections'),
    );
    expect(connections).toHaveLength(1);
    const names = connections[0].Metrics.map((m: Json) => m.MetricStat?.Metric?.MetricName).filter(Boolean);
    expect(names.sort()).toEqual(['DatabaseConnections', 'MaxDatabaseConnectionsAllowed']);
  });

  it('alarms on database CPU and free storage', () => {
    const [dbId] = resourcesOfType(dev.json, 'AWS::RDS::DBInstance')[0]!;
    for (const metric of ['CPUUtilization', 'FreeStorageSpace']) {
      const found = alarmsBy(dev.json, (a) => a.Namespace === 'AWS/RDS' && a.MetricName === metric);
      expect(found, metric).toHaveLength(1);
      expect(found[0].Dimensions, metric).toEqual([{ Name: 'DBInstanceIdentifier', Value: { Ref: dbId } }]);
    }
  });

  it('alarms on the depth of every dead-letter queue (schedule targets and SQS redrives)', () => {
    const dlqs = new Set<string>();
    for (const [, rule] of resourcesOfType(dev.json, 'AWS::Events::Rule')) {
      for (const target of rule.Properties.Targets) {
        expect(target.DeadLetterConfig?.Arn, 'schedule target DLQ').toBeDefined();
        dlqs.add(refTarget(target.DeadLetterConfig.Arn)!);
      }
    }
    for (const [, queue] of resourcesOfType(dev.json, 'AWS::SQS::Queue')) {
      const redrive = queue.Properties.RedrivePolicy?.deadLetterTargetArn;
      if (redrive) dlqs.add(refTarget(redrive)!);
    }
    expect(dlqs.size).toBeGreaterThan(0);
    for (const dlq of dlqs) {
      const found = alarmsBy(
        dev.json,
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          a.Dimensions?.some((d: Json) => refTarget(d.Value) === dlq),
      );
      expect(found.length, dlq).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('network', () => {
  it('has one NAT gateway in dev and one per AZ in prod', () => {
    dev.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('reaches KMS and Secrets Manager through interface endpoints', () => {
    const services = resourcesOfType(dev.json, 'AWS::EC2::VPCEndpoint').map(([, e]) =>
      JSON.stringify(e.Properties.ServiceName),
    );
    expect(services.some((s) => s.includes('.kms'))).toBe(true);
    expect(services.some((s) => s.includes('.secretsmanager'))).toBe(true);
  });
});

describe('web app', () => {
  const distribution = () =>
    resourcesOfType(dev.json, 'AWS::CloudFront::Distribution')[0]![1].Properties.DistributionConfig;

  it('serves a private bucket through origin access control, HTTPS only, with the SPA fallback', () => {
    expect(resourcesOfType(dev.json, 'AWS::CloudFront::Distribution')).toHaveLength(1);
    const config = distribution();
    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0].OriginAccessControlId).toBeDefined();
    expect(config.Origins[0].S3OriginConfig.OriginAccessIdentity).toBe('');
    const bucketId = config.Origins[0].DomainName['Fn::GetAtt'][0];
    const bucket = dev.json.Resources[bucketId];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('https-only');
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.CustomErrorResponses).toEqual(
      [403, 404].map((code) =>
        expect.objectContaining({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: '/index.html' }),
      ),
    );
    // Only CloudFront (this distribution) may read the bucket.
    const policies = resourcesOfType(dev.json, 'AWS::S3::BucketPolicy').filter(
      ([, p]) => refTarget(p.Properties.Bucket) === bucketId,
    );
    const reads = policies
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((st) => st.Effect === 'Allow');
    expect(reads).toHaveLength(1);
    expect(reads[0].Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(reads[0].Action).toBe('s3:GetObject');
    expect(JSON.stringify(reads[0].Condition)).toContain('AWS:SourceArn');
  });

  it('sends a strict CSP (no inline script or style) and the other security headers', () => {
    const policyId = refTarget(distribution().DefaultCacheBehavior.ResponseHeadersPolicyId)!;
    const headers = dev.json.Resources[policyId].Properties.ResponseHeadersPolicyConfig;
    const csp = JSON.stringify(headers.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(headers.SecurityHeadersConfig).toMatchObject({
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY' },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer' },
      StrictTransportSecurity: expect.objectContaining({ AccessControlMaxAgeSec: 31536000 }),
    });
  });

  it('points the API (CORS, FRONTEND_URL), the document store CORS and Cognito at the distribution unless the stage names another origin', () => {
    expect(dev.json.Outputs.WebUrl.Value).toEqual(distributionUrl(dev.json));
    const [, documents] = resourcesOfType(dev.json, 'AWS::S3::Bucket').find(
      ([, b]) => b.Properties.CorsConfiguration,
    )!;
    expect(documents.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual([
      distributionUrl(dev.json),
    ]);
    const [, client] = resourcesOfType(dev.json, 'AWS::Cognito::UserPoolClient')[0]!;
    expect(JSON.stringify(client.Properties.CallbackURLs)).toContain(
      JSON.stringify(distributionUrl(dev.json)['Fn::Join'][1][1]),
    );
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: [PROD_FRONTEND_URL] }),
    });
    expect(prod.json.Outputs.WebAppUrl.Value).toBe(PROD_FRONTEND_URL);
    expect(prod.json.Outputs.WebUrl.Value).toEqual(distributionUrl(prod.json));
  });

  it('uploads the build and its config.json (the API URL) on deploy, through a Trigger', () => {
    const [id, fn] = resourcesOfType(dev.json, 'AWS::Lambda::Function').find(([, f]) =>
      String(f.Properties.Description ?? '').includes('web app build'),
    )!;
    const [apiId] = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Api')[0]!;
    expect(envOf(fn).API_URL).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(triggersOf(dev.json, id)).toHaveLength(1);
    const asset = path.join(dev.dir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(existsSync(path.join(asset, 'index.mjs'))).toBe(true);
    expect(existsSync(path.join(asset, 'site/index.html'))).toBe(true);
    // config.json is written by the function at deploy time (the API URL is known only then).
    expect(existsSync(path.join(asset, 'site/config.json'))).toBe(false);
    expect(readdirSync(path.join(asset, 'site/assets')).some((f) => /^app-[A-Z0-9]+\.js$/.test(f))).toBe(
      true,
    );
    // Least privilege: put objects into the site bucket, invalidate this distribution, its own logs.
    const actions = statementsOfRole(dev.json, refTarget(fn.Properties.Role)!)
      .flatMap((st) => asArray<string>(st.Action))
      .sort();
    expect(actions).toEqual([
      'cloudfront:CreateInvalidation',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:PutObject',
    ]);
  });
});

describe('stack', () => {
  it('exports what the web app and the operator need', () => {
    for (const output of [
      'ApiUrl',
      'WebUrl',
      'UserPoolId',
      'UserPoolClientId',
      'TokenVaultKeyArn',
      'ProviderSecretName',
    ]) {
      expect(dev.json.Outputs[output], output).toBeDefined();
    }
  });

  it('outputs the exact callback URL to register per provider, on the route the callback function serves', () => {
    const [apiId] = resourcesOfType(dev.json, 'AWS::ApiGatewayV2::Api')[0]!;
    const callback = routes.find(([, r]) => r.path.startsWith('/cloud-storage/callback/'));
    expect(callback?.[1].path).toBe('/cloud-storage/callback/{provider}');
    for (const [provider, { id }] of Object.entries(CALLBACK_OUTPUTS)) {
      expect(dev.json.Outputs[id]?.Value, id).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, `/cloud-storage/callback/${provider}`]],
      });
    }
    // What the providers send the user back to is what the functions put into the authorization URL.
    const [, connect] = functionFor(dev.json, 'cloud-storage/connect');
    expect(envOf(connect).OAUTH_REDIRECT_BASE_URL).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
  });

  it('outputs the web app URL (the distribution, or the stage origin when it names one) and the webhook secret name', () => {
    expect(dev.json.Outputs.WebAppUrl.Value).toEqual(distributionUrl(dev.json));
    expect(prod.json.Outputs.WebAppUrl.Value).toBe(PROD_FRONTEND_URL);
    expect(JSON.stringify(dev.json.Outputs.WebhookSecretName.Value)).toMatch(/"Ref":"EventsWebhookSecret/);
  });

  it.each(['dev', 'prod'] as const)(
    '%s: every template stays clear of the 500-resource CloudFormation limit',
    (stage) => {
      const s = stage === 'dev' ? dev : prod;
      expect(s.templates.length).toBeGreaterThan(1);
      for (const { file, json } of s.templates) {
        const count = Object.keys(json.Resources).length;
        // The route functions (three resources per route) are in their nested stack; the stack holds the rest,
        // about three resources per route (API route, integration, invoke permission) included. Each file is a
        // template of its own for CloudFormation, with its own limit.
        expect(count, `${file}: ${count} resources`).toBeLessThan(480);
        expect(Object.keys(json.Parameters ?? {}).length, `${file}: parameters`).toBeLessThanOrEqual(200);
        expect(Object.keys(json.Outputs ?? {}).length, `${file}: outputs`).toBeLessThanOrEqual(200);
      }
      // Headroom where growth lands: the main stack (jobs, workers, queues, alarms, the API's routes).
      const main = Object.keys(s.templates[0]!.json.Resources).length;
      expect(main, `${main} resources in the main stack`).toBeLessThan(400);
    },
  );

  it('deploys the route functions (function, role, log group) in the nested route stack, the API routes in the stack', () => {
    const [stackFile, ...nested] = dev.templates;
    expect(nested).toHaveLength(1);
    const routeStack = nested[0]!;
    const inRouteStack = new Set(Object.keys(routeStack.json.Resources));
    for (const [key, def] of routes) {
      const [fnId, fn] = functionFor(dev.json, key);
      expect(inRouteStack.has(fnId), key).toBe(true);
      expect(inRouteStack.has(refTarget(fn.Properties.Role)!), `${key} role`).toBe(true);
      expect(inRouteStack.has(refTarget(fn.Properties.LoggingConfig.LogGroup)!), `${key} logs`).toBe(true);
      const route = Object.entries<Json>(stackFile!.json.Resources).find(
        ([, r]) =>
          r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === `${def.method} ${def.path}`,
      );
      expect(route, `${key}: route in the stack`).toBeDefined();
    }
    // Jobs and workers stay in the stack (their schedules, queues and alarms are there).
    for (const key of [...jobs.map(([k]) => k), ...Object.keys(workers)]) {
      expect(inRouteStack.has(functionFor(dev.json, key)[0]), key).toBe(false);
    }
    expect(
      Object.values<Json>(routeStack.json.Resources)
        .map((r) => r.Type)
        .filter((t, i, all) => all.indexOf(t) === i)
        .sort(),
    ).toEqual(['AWS::IAM::Role', 'AWS::Lambda::Function', 'AWS::Logs::LogGroup']);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each(['dev', 'prod'] as const)('%s: synthesizes with no unacknowledged finding', (stage) => {
    const s = stage === 'dev' ? dev : prod;
    const findings = s.nagViolations.map(
      (v) =>
        `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(s.synthError).toBeUndefined();
  });

  it('is active: it flags a finding in a throwaway stack', () => {
    const app = new App();
    const stack = new Stack(app, 'NagCanary');
    new kms.Key(stack, 'UnrotatedKey', { enableKeyRotation: false });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-KMS5');
  });

  it.each(['dev', 'prod'] as const)('%s: every acknowledgement carries a specific reason', (stage) => {
    const s = stage === 'dev' ? dev : prod;
    const acknowledgements = Object.entries(s.metadata).flatMap(([constructPath, entries]) =>
      entries
        .filter((e) => e.type === 'aws:cdk:acknowledged-rules')
        .flatMap((e) =>
          Object.entries(e.data as Record<string, string>).map(([id, reason]) => ({
            constructPath,
            id,
            reason,
          })),
        ),
    );
    const nag = acknowledgements.filter((a) => a.id.includes('AwsSolutions-'));
    expect(nag.length).toBeGreaterThan(0);
    for (const a of nag) {
      expect(a.reason.length, `${a.id} at ${a.constructPath}`).toBeGreaterThanOrEqual(40);
    }
  });
});
