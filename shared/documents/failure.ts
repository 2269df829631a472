/**
 * Why a document did not become `ready`. The codes are the API's (BrandVoiceAsset.failure.code); the messages
 * are fixed sentences, never provider text, file content or a library's error message.
 */
export const FAILURE_CODES = [
  'unsupported_type',
  'too_large',
  'encrypted',
  'corrupt',
  'no_text',
  'timeout',
  'upload_expired',
  'provider_error',
  'reauth_required',
  'not_found',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

const MESSAGES: Record<FailureCode, string> = {
  unsupported_type: 'The file is not a supported type (PDF, DOCX, PPTX, TXT, Markdown, HTML or CSV).',
  too_large:
    'The file is over a size limit (50 MiB per file, 5 MiB of text, 2,000 pages, or too large unpacked).',
  encrypted: 'The file is password-protected.',
  corrupt: 'The file is damaged and cannot be read.',
  no_text: 'The file contains no text.',
  timeout: 'Reading the file took too long or stopped before it finished; import or upload it again.',
  upload_expired: 'The upload was not completed within an hour.',
  provider_error: 'The file could not be copied from the connected storage.',
  reauth_required: 'The connected storage needs to be reconnected.',
  not_found: 'The file was not found.',
};

export const failureMessage = (code: FailureCode): string => MESSAGES[code];

export class DocumentFailure extends Error {
  constructor(
    readonly code: FailureCode,
    readonly detail?: string,
  ) {
    super(MESSAGES[code]);
    this.name = 'DocumentFailure';
  }
}
