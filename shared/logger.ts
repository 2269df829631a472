import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Keys whose values must never reach a log line, wherever they appear in a logged object.
 * Matching is on the key name (case-insensitive, ignoring `_`/`-`), so `refresh_token`, `accessToken`,
 * `Authorization`, `client_secret`, `code_verifier` and `password` are all caught.
 */
const SENSITIVE_KEY =
  /(token|secret|password|passwd|authorization|cookie|^code$|verifier|ticket|^state$|credential|ciphertext|privatekey|apikey|signature)/i;
const isSensitiveKey = (key: string): boolean => SENSITIVE_KEY.test(key.replace(/[-_]/g, ''));
const JWT_LIKE = /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const BEARER = /bearer\s+[\w.~+/=-]+/gi;
const BASIC = /\bbasic\s+[A-Za-z0-9+/=]{8,}/gi;
// Secrets also travel inside free text: callback URLs (`?code=`), form bodies (`refresh_token=`), JSON in an
// SDK error message (`"access_token":"…"`). Values are redacted there by the same key rule.
const KEY_VALUE = /([\w.-]{1,64})=([^&\s"'<>,;#]+)/g;
const JSON_PAIR = /("([\w.-]{1,64})"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
export const REDACTED = '[REDACTED]';

function redactString(value: string): string {
  return value
    .replace(JWT_LIKE, REDACTED)
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(BASIC, `Basic ${REDACTED}`)
    .replace(KEY_VALUE, (pair, key: string) => (isSensitiveKey(key) ? `${key}=${REDACTED}` : pair))
    .replace(JSON_PAIR, (pair, prefix: string, key: string) =>
      isSensitiveKey(key) ? `${prefix}"${REDACTED}"` : pair,
    );
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 12) return '[TRUNCATED]';
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      stack: redact(value.stack, depth + 1),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}

class RedactingFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base = {
      level: attributes.logLevel,
      message: redact(attributes.message),
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      ...(attributes.xRayTraceId ? { xray_trace_id: attributes.xRayTraceId } : {}),
      ...(attributes.lambdaContext ? { function_request_id: attributes.lambdaContext.awsRequestId } : {}),
    };
    return new LogItem({ attributes: redact(base) as LogAttributes }).addAttributes(
      redact(additional) as LogAttributes,
    );
  }
}

/** One logger per container, shared by every module. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'brand-cloud',
  logLevel: (process.env.LOG_LEVEL as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | undefined) ?? 'INFO',
  logFormatter: new RedactingFormatter(),
});
