/**
 * The bounds of the document store. Every one of them ends an extraction as `failed` with a code (see
 * DocumentFailure); none of them may take the worker down.
 */
export interface DocumentLimits {
  /** Largest original accepted (presigned POST content-length-range, and checked again by the worker). */
  maxFileBytes: number;
  /** Largest extracted text (UTF-8 bytes); the `content` column holds at most this. */
  maxTextBytes: number;
  /** Most pages (PDF pages, DOCX pages as recorded by the writer, PPTX slides). */
  maxPages: number;
  /** Wall time of one extraction. */
  timeoutMs: number;
  /** Zip-based formats (DOCX, PPTX): most bytes after decompression, all entries together. */
  maxUncompressedBytes: number;
  /** Zip-based formats: most uncompressed bytes per compressed byte of the whole file. */
  maxCompressionRatio: number;
  /** Zip-based formats: most entries. */
  maxZipEntries: number;
}

export const MiB = 1024 * 1024;

export const DOCUMENT_LIMITS: DocumentLimits = Object.freeze({
  maxFileBytes: 50 * MiB,
  maxTextBytes: 5 * MiB,
  maxPages: 2000,
  timeoutMs: 60_000,
  maxUncompressedBytes: 200 * MiB,
  maxCompressionRatio: 100,
  maxZipEntries: 10_000,
});

/**
 * Deliveries of one document-queue message before SQS moves it to the dead-letter queue (the queue's
 * maxReceiveCount in infra, the local queue's too): an import that failed transiently on the last one ends as
 * `failed: provider_error` rather than staying `processing`.
 */
export const DOCUMENT_QUEUE_MAX_RECEIVES = 5;

/**
 * How long a document may stay `processing` without progress (since its status changed, or its import was last
 * claimed) before the scheduled sweep ends it as `failed: timeout`. Past the last moment a delivery of
 * its queue message could still be running: DOCUMENT_QUEUE_MAX_RECEIVES deliveries, each redelivered after the
 * queue's visibility timeout (6 × the worker's 120 s: 60 minutes in all; the infra tests hold the queue to it),
 * plus an hour of backlog. A message older than that is in the dead-letter queue (the worker crashed or timed out
 * on every delivery, or the database was unreachable), or so far behind that the user is owed an answer.
 */
export const PROCESSING_EXPIRY_SECONDS = 2 * 60 * 60;

/** How long a presigned POST is valid, and how long an upload may stay `uploading` before it is swept. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
export const UPLOAD_EXPIRY_SECONDS = 60 * 60;
/** A presigned GET of an original is valid this long. */
export const DOWNLOAD_URL_TTL_SECONDS = 5 * 60;
