// Which sections `npm run bench -- …` runs: none named means the quick ones; --all every section
// (comparisons with other engines only with --vs); --only a,b those; --vs airflow the Airflow
// side by side (alone, or added to --all / --only).
export interface SectionInfo {
  name: string;
  quick: boolean;
  /** Needs `--vs <name>`: installs and runs another engine. */
  vs?: string;
}

export type Selection = { list: true } | { list: false; sections: string[] };

export function selectSections(argv: string[], sections: SectionInfo[]): Selection {
  let all = false;
  let only: string[] | undefined;
  const vs: string[] = [];
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
    else problems.push(`Unknown argument "${arg}" (expected --all, --only <sections>, --vs <engine> or --list).`);
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
  return { list: false, sections: chosen.map((s) => s.name) };
}
