import type { Section } from '../section';
export const airflow: Section = {
  name: 'airflow',
  summary: 'todo',
  quick: false,
  vs: 'airflow',
  async run() {
    return [];
  },
};
