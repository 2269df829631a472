/**
 * Queue-driven functions: what the route table is for HTTP routes and the job table for scheduled jobs. The CDK
 * stack builds each like any other function (own bundle, own role) and connects it to its queue.
 */
export interface WorkerDef {
  summary: string;
  timeoutSeconds: number;
  memoryMb: number;
}

export const workers = {
  'documents/worker': {
    summary: 'Extracts the text of documents landing in the document store (S3 → SQS), or imports them',
    // 60 s of extraction at most, plus the download of a 50 MiB original and the database writes.
    timeoutSeconds: 120,
    // pdf.js and mammoth hold the whole file and its text; more memory also means more CPU in Lambda.
    memoryMb: 2048,
  },
} as const satisfies Record<string, WorkerDef>;
