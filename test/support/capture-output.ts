import { vi } from 'vitest';

/**
 * Captures everything written to stdout/stderr (Powertools Logger lines and EMF metric blobs) from the call on,
 * until `vi.restoreAllMocks()`. `lines()` parses the JSON lines; `text()` is the raw output for leak scans.
 */
export function captureOutput() {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  /** The metric values of the EMF blobs in the output, by metric name. */
  const metrics = () => {
    const values: Record<string, unknown> = {};
    for (const line of lines()) {
      const aws = line._aws as {
        CloudWatchMetrics?: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }>;
      };
      for (const directive of aws?.CloudWatchMetrics ?? []) {
        for (const metric of directive.Metrics)
          values[`${directive.Namespace}/${metric.Name}`] = line[metric.Name];
      }
    }
    return values;
  };
  return { text, lines, metrics };
}

/** A Lambda context good enough for handlers that read the remaining time and the request id. */
export function fakeLambdaContext(remainingMs: number) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'token-refresh',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:token-refresh',
    memoryLimitInMB: '512',
    awsRequestId: 'req-0000-test',
    logGroupName: '/aws/lambda/token-refresh',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
