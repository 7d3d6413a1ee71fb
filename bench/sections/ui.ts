// The web UI's run page on runs of 100 and 1000 tasks, in headless Chromium (bench/ui.ts).
import type { Section } from '../section';
import { dagSpec, randomDeps } from '../specs';
import { uiBench } from '../ui';

export const ui: Section = {
  name: 'ui',
  summary: 'web UI run page (first paint, full DAG) for runs of 100 and 1000 tasks, headless Chromium',
  quick: false,
  async run(env) {
    const rows = await uiBench(env.client, env.noopQueue, [dagSpec(randomDeps(100, 11)), dagSpec(randomDeps(1000, 7))]);
    return [{ title: 'Web UI run page in headless Chromium (time from navigation, median of cold loads)', rows }];
  },
};
