import { App } from 'aws-cdk-lib';
import { GithubDeployAccessStack } from './constructs/github-deploy-access.ts';

/**
 * Once per AWS account (after `cdk bootstrap`), by someone with admin rights:
 *   npx cdk deploy --app "npx tsx infra/deploy-access-app.ts" -c githubRepository=owner/name
 *     [-c githubOidcProviderArn=arn:aws:iam::…:oidc-provider/token.actions.githubusercontent.com]
 */
const app = new App();
const repository = app.node.tryGetContext('githubRepository') as string | undefined;
if (!repository) throw new Error('Set -c githubRepository=owner/name');
new GithubDeployAccessStack(app, 'BrandCloud-GithubDeployAccess', {
  repository,
  deployEnvironments: ['dev', 'prod'],
  existingProviderArn: app.node.tryGetContext('githubOidcProviderArn') as string | undefined,
  description: 'GitHub Actions OIDC access for deploying brand-cloud (CDK bootstrap roles only)',
});
app.synth();
