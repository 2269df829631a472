import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
/** The CDK bootstrap's default qualifier (`cdk bootstrap --qualifier` changes it). */
export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

export interface GithubDeployAccessProps extends StackProps {
  /** `owner/name` of the GitHub repository whose workflows may deploy. */
  readonly repository: string;
  /** GitHub environments whose jobs may deploy (their protection rules, e.g. prod's reviewers, gate it). */
  readonly deployEnvironments: readonly string[];
  /** An existing GitHub OIDC provider of the account (there can be only one per URL); created when absent. */
  readonly existingProviderArn?: string;
  readonly bootstrapQualifier?: string;
}

/**
 * Lets GitHub Actions deploy without stored keys: the account's GitHub OIDC provider and two roles that can do
 * nothing but assume the CDK bootstrap roles of this account and region (which the bootstrap scoped to
 * CloudFormation deployments). `DiffRole` (pull requests) may only assume the read-only lookup role, which is what
 * `cdk diff` uses to read the deployed template; `DeployRole` (jobs running in one of `deployEnvironments`) may
 * assume the deploy, file-publishing and lookup roles. Deployed once per account with its own small app
 * (infra/deploy-access-app.ts), separate from the product stacks it deploys.
 */
export class GithubDeployAccessStack extends Stack {
  public readonly deployRole: iam.Role;
  public readonly diffRole: iam.Role;

  constructor(scope: Construct, id: string, props: GithubDeployAccessProps) {
    super(scope, id, props);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(props.repository)) {
      throw new Error(`repository must be owner/name, got ${props.repository}`);
    }
    const providerArn =
      props.existingProviderArn ??
      new iam.CfnOIDCProvider(this, 'GithubOidcProvider', {
        url: GITHUB_OIDC_URL,
        clientIdList: ['sts.amazonaws.com'],
      }).attrArn;
    const qualifier = props.bootstrapQualifier ?? DEFAULT_BOOTSTRAP_QUALIFIER;
    const bootstrapRole = (kind: string) =>
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${qualifier}-${kind}-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    const githubPrincipal = (subjects: string[]) =>
      new iam.WebIdentityPrincipal(providerArn, {
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          // Exact subjects (no wildcards): one of the listed environments, or pull requests, of this repository.
          'token.actions.githubusercontent.com:sub': subjects,
        },
      });
    const assumeOnly = (kinds: string[]) =>
      new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AssumeCdkBootstrapRoles',
            actions: ['sts:AssumeRole', 'sts:TagSession'],
            resources: kinds.map(bootstrapRole),
          }),
        ],
      });

    this.deployRole = new iam.Role(this, 'DeployRole', {
      description: `GitHub Actions of ${props.repository} deploying the brand-cloud stacks (CDK bootstrap roles only)`,
      assumedBy: githubPrincipal(
        props.deployEnvironments.map((env) => `repo:${props.repository}:environment:${env}`),
      ),
      inlinePolicies: { cdk: assumeOnly(['deploy', 'file-publishing', 'lookup']) },
    });
    this.diffRole = new iam.Role(this, 'DiffRole', {
      description: `GitHub Actions of ${props.repository} pull requests: cdk diff (CDK lookup role only)`,
      assumedBy: githubPrincipal([`repo:${props.repository}:pull_request`]),
      inlinePolicies: { cdk: assumeOnly(['lookup']) },
    });
    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: 'vars.AWS_DEPLOY_ROLE_ARN',
    });
    new CfnOutput(this, 'DiffRoleArn', {
      value: this.diffRole.roleArn,
      description: 'vars.AWS_DIFF_ROLE_ARN',
    });
  }
}
