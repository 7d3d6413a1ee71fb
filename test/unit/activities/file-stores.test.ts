// The file-arrival lister on a real directory: whole listings when the watcher's own is unknown
// here, otherwise only what changed since it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listingDigest, triggerActivities } from '../../../activities/file-stores';
import { applyListingChange, type ArrivedFile, type ListingChange } from '../../../core';

describe('listArrivedFileChanges', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-lister-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const list = (since?: string, watcher = 'w1') =>
    triggerActivities.listArrivedFileChanges({ url: dir, watcher, ...(since ? { since } : {}) });
  const write = (name: string, body = 'x') => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  };

  it('sends the whole listing first, then only changes, which rebuild the listing exactly', async () => {
    for (let i = 0; i < 500; i++) write(`day-${i % 5}/part-${String(i).padStart(4, '0')}.csv`);
    const first = await list();
    expect('files' in first && first.files.length).toBe(500);
    let held: ArrivedFile[] = applyListingChange(undefined, undefined, first);
    let digest = first.digest;

    const quiet = await list(digest);
    expect(quiet).toEqual({ digest, since: digest, upserted: [], removed: [] });

    write('day-9/new.csv');
    fs.rmSync(path.join(dir, 'day-0/part-0000.csv'));
    write('day-1/part-0001.csv', 'rewritten, longer');
    const changed = await list(digest);
    expect('since' in changed && changed.upserted.map((f) => path.relative(dir, f.path))).toEqual([
      'day-1/part-0001.csv',
      'day-9/new.csv',
    ]);
    expect('since' in changed && changed.removed.map((p) => path.relative(dir, p))).toEqual(['day-0/part-0000.csv']);
    held = applyListingChange(held, digest, changed);
    digest = changed.digest;
    const whole = (await list(undefined, 'another watcher')) as ListingChange & { files: ArrivedFile[] };
    expect(held).toEqual(whole.files);
    expect(listingDigest(held)).toBe(digest);
  });

  it('a digest this worker does not know (another worker, a restart) gets the whole listing', async () => {
    write('a.csv');
    const answer = await list('digest-from-elsewhere');
    expect('files' in answer && answer.files.map((f) => path.basename(f.path))).toEqual(['a.csv']);
  });

  it('the listing before the last still gets changes (a report lost in transit is retried)', async () => {
    write('a.csv');
    const first = await list();
    write('b.csv');
    await list(first.digest); // its report is lost: the watcher still holds `first`
    const retried = await list(first.digest);
    expect('since' in retried && retried.upserted.map((f) => path.basename(f.path))).toEqual(['b.csv']);
  });
});
