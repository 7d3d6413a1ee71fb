// Which sections `npm run bench -- …` runs: none named means the quick ones; --all every section
// (comparisons with other engines only with --vs); --only a,b those; --vs airflow the Airflow
// side by side (alone, or added to --all / --only); --server postgres runs them against
// docker-compose.yml's Temporal on PostgreSQL, natively (servers/native-cluster.ts), instead of the dev server.
export interface SectionInfo {
  name: string;
  quick: boolean;
  /** Needs `--vs <name>`: installs and runs another engine. */
  vs?: string;
}

/** The Temporal server the bench runs against: the embedded dev server (default) or the compose's, on PostgreSQL. */
export const SERVERS = ['dev', 'postgres'] as const;
export type BenchServer = (typeof SERVERS)[number];

export type Selection = { list: true } | { list: false; sections: string[]; server?: BenchServer };

export function selectSections(argv: string[], sections: SectionInfo[]): Selection {
  let all = false;
  let only: string[] | undefined;
  const vs: string[] = [];
  let server: BenchServer | undefined;
  const problems: string[] = [];
  const known = new Set(sections.map((s) => s.name));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') problems.push(`${arg.split('=')[0]} expects a value.`);
      return (v ?? '').split(',').filter(Boolean);
    };
    if (arg === '--list') return { list: true };
    else if (arg === '--all') all = true;
    else if (arg === '--only' || arg.startsWith('--only=')) only = [...(only ?? []), ...value()];
    else if (arg === '--vs' || arg.startsWith('--vs=')) vs.push(...value());
    else if (arg === '--server' || arg.startsWith('--server=')) {
      const [name] = value();
      if (name === undefined) continue;
      if ((SERVERS as readonly string[]).includes(name)) server = name as BenchServer;
      else problems.push(`Unknown server "${name}" for --server (known: ${SERVERS.join(', ')}).`);
    } else
      problems.push(
        `Unknown argument "${arg}" (expected --all, --only <sections>, --vs <engine>, --server <server> or --list).`
      );
  }
  for (const name of only ?? [])
    if (!known.has(name)) problems.push(`Unknown section "${name}" (sections: ${[...known].join(', ')}).`);
  const engines = new Set(sections.flatMap((s) => (s.vs ? [s.vs] : [])));
  for (const e of vs)
    if (!engines.has(e)) problems.push(`Unknown engine "${e}" for --vs (known: ${[...engines].join(', ')}).`);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const chosen = sections.filter((s) => {
    if (s.vs) return vs.includes(s.vs) || (only?.includes(s.name) ?? false);
    if (only) return only.includes(s.name);
    if (all) return true;
    return s.quick && vs.length === 0;
  });
  return { list: false, sections: chosen.map((s) => s.name), ...(server ? { server } : {}) };
}
