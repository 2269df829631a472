import { App } from 'aws-cdk-lib';
import { addBrandStack } from './brand-app.ts';

const app = new App();
addBrandStack(app);
app.synth();
