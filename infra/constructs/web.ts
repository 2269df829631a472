import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { contentSecurityPolicy, OTHER_SECURITY_HEADERS } from '../../web/security-headers.ts';
import { REPO_ROOT } from '../paths.ts';

/** The deploy function: uploads the bundled site, writes config.json, then invalidates the pages. */
const DEPLOY_HANDLER = `import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json' };
const s3 = new S3Client({});
const cloudfront = new CloudFrontClient({});
const SITE = path.join(import.meta.dirname, 'site');
async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(full)));
    else out.push(full);
  }
  return out;
}
const put = (key, body, cacheControl) => s3.send(new PutObjectCommand({
  Bucket: process.env.BUCKET, Key: key, Body: body, CacheControl: cacheControl,
  ContentType: TYPES[path.extname(key)] ?? 'application/octet-stream',
}));
export const handler = async () => {
  const all = (await files(SITE)).map((f) => path.relative(SITE, f).split(path.sep).join('/'));
  // Content-hashed assets first (kept: pages cached elsewhere may still name them), the pages last.
  for (const key of all.filter((k) => k.startsWith('assets/')))
    await put(key, await readFile(path.join(SITE, key)), 'public, max-age=31536000, immutable');
  await put('config.json', JSON.stringify({ apiUrl: process.env.API_URL }), 'no-cache');
  await put('index.html', await readFile(path.join(SITE, 'index.html')), 'no-cache');
  await cloudfront.send(new CreateInvalidationCommand({
    DistributionId: process.env.DISTRIBUTION_ID,
    InvalidationBatch: { CallerReference: String(Date.now()), Paths: { Quantity: 2, Items: ['/index.html', '/config.json'] } },
  }));
  return { uploaded: all.length };
};
`;

/** The deploy function's code: the handler and the built site (web/build.ts, deterministic), built at synth. */
function deployCode(): lambda.Code {
  return lambda.Code.fromAsset(path.join(REPO_ROOT, 'web'), {
    exclude: ['dist', 'node_modules'],
    bundling: {
      image: DockerImage.fromRegistry('unused-local-bundling'),
      local: {
        tryBundle(outputDir) {
          execFileSync(
            process.execPath,
            ['--import', 'tsx', path.join(REPO_ROOT, 'web/build.ts'), path.join(outputDir, 'site')],
            { cwd: REPO_ROOT, stdio: 'ignore' },
          );
          rmSync(path.join(outputDir, 'site/config.json'));
          writeFileSync(path.join(outputDir, 'index.mjs'), DEPLOY_HANDLER);
          return true;
        },
      },
    },
  });
}

export interface WebAppProps {
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The web app on S3 + CloudFront: a private bucket read only through origin access control, HTTPS only, the
 * same security headers as locally (a strict CSP with no inline script), and the SPA fallback (any path the
 * bucket does not have answers index.html). `url` is the distribution's origin: the API's CORS origin and
 * FRONTEND_URL. `deploy(apiUrl)` uploads the build and its `config.json` (`{ "apiUrl" }`) on each deploy.
 * The buckets are kept when the stack is deleted (empty them first to remove them).
 */
export class WebApp extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** `https://<id>.cloudfront.net` */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: WebAppProps) {
    super(scope, id);
    const logs = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logs are written with an ACL.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: props.removalPolicy,
    });
    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: props.removalPolicy,
    });

    const region = Stack.of(this).region;
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'brand-cloud web app: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // The API (execute-api) and the document store's presigned uploads (S3) of this region.
          contentSecurityPolicy: contentSecurityPolicy([
            `https://*.execute-api.${region}.amazonaws.com`,
            `https://*.s3.${region}.amazonaws.com`,
          ]),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Permissions-Policy',
            value: OTHER_SECURITY_HEADERS['permissions-policy'],
            override: true,
          },
        ],
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'brand-cloud web app',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // SPA fallback: the bucket answers 403 for a key it does not have (no ListBucket through OAC).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The app is for customers anywhere; there is no country to block.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'Static files only (no server logic behind CloudFront); the API has its own throttling. A WAF web ACL can be attached by the operator.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate is used (its TLS policy is fixed by CloudFront); a custom domain (-c frontendUrl) brings its own certificate with the TLSv1.2_2021 policy.',
      },
    );
  }

  /**
   * Uploads the build on every deploy that changes it or the API URL: a Node.js function run by a CDK Trigger
   * (content-hashed assets cached for a year, index.html and config.json revalidated and invalidated).
   */
  deploy(apiUrl: string, logRetention: logs.RetentionDays): void {
    const logGroup = new logs.LogGroup(this, 'DeployLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Inline in the role: put objects into this bucket, invalidate this distribution, write its own logs.
    const role = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Uploads the web app to its bucket and invalidates its pages',
      inlinePolicies: {
        deploy: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['s3:PutObject'],
              resources: [this.bucket.arnForObjects('*')],
            }),
            new iam.PolicyStatement({
              actions: ['cloudfront:CreateInvalidation'],
              resources: [
                Stack.of(this).formatArn({
                  service: 'cloudfront',
                  region: '',
                  resource: 'distribution',
                  resourceName: this.distribution.distributionId,
                }),
              ],
            }),
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    const bucketArn = Stack.of(this).resolve(this.bucket.bucketArn) as { 'Fn::GetAtt': [string, string] };
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketArn['Fn::GetAtt'][0]}.Arn>/*]`,
      reason:
        'The deploy writes the objects of the web app bucket only (bucket/*): their names are content hashes known at build time.',
    });
    const fn = new lambda.Function(this, 'Deploy', {
      description: 'Uploads the web app build and its config.json',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: deployCode(),
      memorySize: 256,
      timeout: Duration.minutes(2),
      role,
      logGroup,
      environment: {
        BUCKET: this.bucket.bucketName,
        DISTRIBUTION_ID: this.distribution.distributionId,
        API_URL: apiUrl,
      },
    });
    new triggers.Trigger(this, 'DeployOnChange', {
      handler: fn,
      executeOnHandlerChange: true,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(2),
    });
  }
}
