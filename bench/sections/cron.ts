import type { Section } from '../section';
export const cron: Section = {
  name: 'cron',
  summary: 'todo',
  quick: false,
  async run() {
    return [];
  },
};
