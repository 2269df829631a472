import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { GITHUB_OIDC_URL, GithubDeployAccessStack } from '../../infra/constructs/github-deploy-access.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { asArray, type Json } from './support/synth.ts';

const synth = (existingProviderArn?: string) =>
  Template.fromStack(
    new GithubDeployAccessStack(new App(), 'Access', {
      repository: 'acme/brand-cloud',
      deployEnvironments: ['dev', 'prod'],
      existingProviderArn,
    }),
  ).toJSON();

const roles = (json: Json) =>
  Object.entries(json.Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::IAM::Role');

describe('GitHub OIDC deploy access', () => {
  it('creates the GitHub OIDC provider for sts.amazonaws.com, or uses the existing one', () => {
    const json = synth();
    const providers = Object.values(json.Resources as Record<string, Json>).filter(
      (r) => r.Type === 'AWS::IAM::OIDCProvider',
    );
    expect(providers.map((p) => [p.Properties.Url, p.Properties.ClientIdList])).toEqual([
      [GITHUB_OIDC_URL, ['sts.amazonaws.com']],
    ]);
    const existing = synth('arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com');
    expect(JSON.stringify(existing)).not.toContain('AWS::IAM::OIDCProvider');
  });

  it('lets each role do nothing but assume CDK bootstrap roles (deploy: deploy/publish/lookup, diff: lookup)', () => {
    const json = synth();
    const found = roles(json);
    expect(found).toHaveLength(2);
    for (const [id, role] of found) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      const statements = role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
      expect(statements).toHaveLength(1);
      expect(asArray(statements[0].Action).sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
      const kinds = asArray(statements[0].Resource).map((r: Json) => {
        const text = JSON.stringify(r);
        expect(text).toContain(':role/cdk-hnb659fds-');
        return /cdk-hnb659fds-([a-z-]+)-role-/.exec(text)![1];
      });
      expect(kinds.sort()).toEqual(
        id.startsWith('Deploy') ? ['deploy', 'file-publishing', 'lookup'] : ['lookup'],
      );
    }
  });

  it('trusts only this repository: deploy jobs in the dev/prod environments, diff jobs of pull requests', () => {
    const json = synth();
    for (const [id, role] of roles(json)) {
      const [statement] = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
      expect(Object.keys(statement.Condition)).toEqual(['StringEquals']);
      expect(statement.Condition.StringEquals['token.actions.githubusercontent.com:aud']).toBe(
        'sts.amazonaws.com',
      );
      const subjects = statement.Condition.StringEquals['token.actions.githubusercontent.com:sub'];
      expect(subjects).toEqual(
        id.startsWith('Deploy')
          ? ['repo:acme/brand-cloud:environment:dev', 'repo:acme/brand-cloud:environment:prod']
          : ['repo:acme/brand-cloud:pull_request'],
      );
    }
  });

  it('the workflows use OIDC role assumption, never stored keys, and put prod behind its environment', () => {
    const read = (name: string) => readFileSync(path.join(REPO_ROOT, '.github/workflows', name), 'utf8');
    const pr = read('pull-request.yml');
    const main = read('deploy.yml');
    for (const workflow of [pr, main]) {
      expect(workflow).toContain('id-token: write');
      expect(workflow).toContain('aws-actions/configure-aws-credentials');
      expect(workflow).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/i);
      expect(workflow).toContain('.ci/run');
    }
    expect(pr).toContain('vars.AWS_DIFF_ROLE_ARN');
    expect(pr).toMatch(/cdk diff/);
    expect(main).toContain('vars.AWS_DEPLOY_ROLE_ARN');
    expect(main).toMatch(/environment: dev[\s\S]*cdk deploy[\s\S]*environment: prod[\s\S]*cdk deploy/);
    expect(main).toMatch(/needs: deploy-dev/);
  });
});
