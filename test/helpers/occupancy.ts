// How many task processes run at once, counted by events instead of compared clocks: each process
// takes a place (a file under running/), records how many places are taken, holds its place until
// `fill` places are taken at once (or every one of `total` processes has started, so the last ones
// are not kept waiting), records again, and gives its place back. A cap that holds never shows a
// count above it; a cap that lets `fill` run shows exactly `fill`, whatever the machine's load.
import fs from 'node:fs';
import path from 'node:path';

export interface Occupancy {
  /** The shell command each task (or for_each iteration) runs. */
  command: string;
  /** Every count recorded, in order. */
  counts(): number[];
  /** How many processes started. */
  started(): number;
}

export function occupancy(dir: string, opts: { fill: number; total: number; deadlineSeconds?: number }): Occupancy {
  for (const d of ['running', 'started']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const running = path.join(dir, 'running');
  const started = path.join(dir, 'started');
  const counts = path.join(dir, 'counts');
  const polls = (opts.deadlineSeconds ?? 90) * 20;
  const taken = `$(ls ${running} | wc -l)`;
  const command = [
    `mktemp ${started}/XXXXXX >/dev/null`,
    `me=$(mktemp ${running}/XXXXXX)`,
    `echo ${taken} >> ${counts}`,
    'i=0',
    `while [ ${taken} -lt ${opts.fill} ] && [ $(ls ${started} | wc -l) -lt ${opts.total} ]; do` +
      ` i=$((i+1)); if [ $i -gt ${polls} ]; then echo "never ${opts.fill} at once" >&2; rm "$me"; exit 1; fi; sleep 0.05; done`,
    `echo ${taken} >> ${counts}`,
    'rm "$me"',
  ].join('; ');
  return {
    command,
    counts: () =>
      fs.existsSync(counts)
        ? fs
            .readFileSync(counts, 'utf8')
            .trim()
            .split('\n')
            .map((l) => Number(l.trim()))
        : [],
    started: () => fs.readdirSync(started).length,
  };
}
