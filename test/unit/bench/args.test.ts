import { describe, expect, it } from 'vitest';
import { selectSections, type SectionInfo } from '../../../bench/args';

const sections: SectionInfo[] = [
  { name: 'overhead', quick: true },
  { name: 'edges', quick: true },
  { name: 'throughput', quick: false },
  { name: 'airflow', quick: false, vs: 'airflow' },
];

describe('npm run bench arguments', () => {
  it.each([
    [[], ['overhead', 'edges']],
    [['--all'], ['overhead', 'edges', 'throughput']],
    [
      ['--only', 'throughput,edges'],
      ['edges', 'throughput'],
    ],
    [['--only=throughput'], ['throughput']],
    [['--vs', 'airflow'], ['airflow']],
    [
      ['--all', '--vs', 'airflow'],
      ['overhead', 'edges', 'throughput', 'airflow'],
    ],
    [
      ['--only', 'edges', '--vs=airflow'],
      ['edges', 'airflow'],
    ],
    [['--only', 'airflow'], ['airflow']],
  ])('%j selects %j', (argv, expected) => {
    expect(selectSections(argv, sections)).toEqual({ list: false, sections: expected });
  });

  it('--list lists', () => {
    expect(selectSections(['--list'], sections)).toEqual({ list: true });
  });

  it('--server postgres runs the sections against the compose server', () => {
    expect(selectSections(['--server', 'postgres', '--only', 'edges'], sections)).toEqual({
      list: false,
      sections: ['edges'],
      server: 'postgres',
    });
    expect(selectSections(['--server=dev'], sections)).toEqual({
      list: false,
      sections: ['overhead', 'edges'],
      server: 'dev',
    });
    expect(() => selectSections(['--server', 'mysql'], sections)).toThrow(
      'Unknown server "mysql" for --server (known: dev, postgres).'
    );
  });

  it('reports every problem at once', () => {
    expect(() => selectSections(['--only', 'edge,curve', '--vs', 'dagster', '--fast', '--only'], sections)).toThrow(
      [
        'Unknown argument "--fast" (expected --all, --only <sections>, --vs <engine>, --server <server> or --list).',
        '--only expects a value.',
        'Unknown section "edge" (sections: overhead, edges, throughput, airflow).',
        'Unknown section "curve" (sections: overhead, edges, throughput, airflow).',
        'Unknown engine "dagster" for --vs (known: airflow).',
      ].join('\n')
    );
  });
});
