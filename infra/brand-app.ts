import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BrandStack } from './stack.ts';
import { type StageConfig, stageFromContext } from './stage.ts';

const checkedApps = new WeakSet<App>();

/**
 * Resource types whose L1 construct accepts `Tags` although CloudFormation's schema does not: tagging them
 * renders a property the deployment rejects (cfn-lint E3002). RDS Proxy target groups are not taggable.
 */
export const UNTAGGABLE_RESOURCE_TYPES = ['AWS::RDS::DBProxyTargetGroup'] as const;

/**
 * Adds the stage's stack (from `-c stage=dev|prod`, default dev) and the cdk-nag AwsSolutions checks to `app`:
 * any unacknowledged finding fails the synth (report in cdk.out/policy-validation-report.json). Used by
 * infra/app.ts (the CDK CLI) and by the infra tests, so both see the same stack and the same checks.
 * The stack is environment-agnostic: synth needs no AWS account, no credentials and no lookups.
 */
export function addBrandStack(app: App, stage: StageConfig = stageFromContext(app.node)): BrandStack {
  const stack = new BrandStack(app, `BrandCloud-${stage.name}`, {
    stage,
    description: `brand-cloud backend (${stage.name})`,
  });
  for (const [key, value] of [
    ['project', 'brand-cloud'],
    ['stage', stage.name],
  ] as const) {
    Tags.of(stack).add(key, value, { excludeResourceTypes: [...UNTAGGABLE_RESOURCE_TYPES] });
  }
  if (!checkedApps.has(app)) {
    checkedApps.add(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return stack;
}
