import { QUEUES } from '../../infra/queue/queue-names.js';

/** The CSV import job: added by the API with jobId = import id, run by ProductImportProcessor. */
export const IMPORT_JOB = { queue: QUEUES.productImports, name: 'import-csv' } as const;

export interface ImportJobData {
  importId: string;
}

/** Invalid lines kept with their reason; the count of all of them is in `invalid`. */
export const IMPORT_MAX_ERRORS = 100;

/** Where an import stands; what the job reports as progress and returns. */
export interface ImportProgress {
  recordsDone: number;
  inserted: number;
  updated: number;
  unchanged: number;
  invalid: number;
  /** Of the file's bytes, how far the reader got (0-100). */
  percent: number;
}
