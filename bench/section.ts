// One benchmark section: a name to select it by, whether the quick default runs it, and what it
// prints: a table whose rows carry their target and baseline next to the figure.
import type { SectionInfo } from './args';
import type { BenchEnv } from './env';

export interface SectionReport {
  title: string;
  rows: object[];
  /** Lines printed under the table: what a figure means, what it was compared with. */
  notes?: string[];
}

export interface Section extends SectionInfo {
  summary: string;
  /** Run by a plain `npm run bench` (a few minutes in all); the others need --all or --only. */
  quick: boolean;
  run(env: BenchEnv): Promise<SectionReport[]>;
}
