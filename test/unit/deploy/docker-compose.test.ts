// No Docker engine runs here, so the compose file is checked statically: the wiring users rely on.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ALL_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';
import { composeServices, nativeSchemaCommand, nativeSetupCommand } from '../../../servers/native-cluster';

const root = path.resolve(__dirname, '..', '..', '..');
interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  healthcheck?: unknown;
  volumes?: string[];
  ports?: string[];
  secrets?: string[];
  user?: string;
  cap_add?: string[];
  security_opt?: string[];
}
const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  it('every depends_on names a service, with a condition that service can satisfy', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy')
          expect(services[dep]!.healthcheck, `${dep} needs a healthcheck`).toBeDefined();
        expect(['service_healthy', 'service_completed_successfully', 'service_started']).toContain(condition);
      }
    }
  });

  it('the Temporal server runs on the postgres service with its credentials, after the schema setup', () => {
    const pg = services.postgresql!;
    const t = services.temporal!;
    expect(t.environment).toMatchObject({
      DB: 'postgres12_pgx',
      POSTGRES_SEEDS: 'postgresql',
      POSTGRES_USER: pg.environment!.POSTGRES_USER,
      POSTGRES_PWD: pg.environment!.POSTGRES_PASSWORD,
    });
    expect(t.depends_on!['temporal-schema']!.condition).toBe('service_completed_successfully');
    expect(services['temporal-schema']!.environment).toMatchObject({
      SQL_HOST: 'postgresql',
      SQL_USER: pg.environment!.POSTGRES_USER,
      SQL_PASSWORD: pg.environment!.POSTGRES_PASSWORD,
    });
    // Temporal's frontend and UI on loopback only: they have no authorization of their own.
    expect(t.ports).toEqual(['127.0.0.1:7233:7233']);
  });

  it('UI, setup and workers point at the server gRPC port', () => {
    for (const name of ['temporal-ui', 'temporal-setup', 'djobs-worker', 'djobs-cli', 'djobs-api']) {
      expect(services[name]!.environment!.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
  });

  it('registers exactly the search attributes the engine uses, with their types', () => {
    const command = ([] as string[]).concat(services['temporal-setup']!.command ?? []).join(' ');
    const registered = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => `${m[1]}:${m[2]!.toUpperCase()}`);
    // The CLI spells KEYWORD_LIST as KeywordList.
    expect(registered.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}:${k.type.replace('_', '')}`).sort());
  });

  it('workers see the jobs where the CLI does, writable (tasks write beside their files)', () => {
    expect(services['djobs-worker']!.volumes).toContain('./examples:/jobs');
    expect(services['djobs-cli']!.volumes).toContain('./examples:/jobs:ro');
    // Sandboxed tasks write only what the worker gives them: the jobs volume is one.
    expect(services['djobs-worker']!.environment?.DJOBS_SANDBOX_READ_WRITE).toBe('/jobs');
  });

  it('workers may sandbox their tasks: root in the container, with what mounts and namespaces need', () => {
    const worker = services['djobs-worker']!;
    expect(worker.user).toBe('root');
    expect(worker.cap_add).toEqual(['SYS_ADMIN']);
    expect(worker.security_opt).toEqual(['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined']);
    expect(worker.environment?.DJOBS_SANDBOX).toBeUndefined(); // on, the default
  });

  it('the worker image builds what the worker command runs', () => {
    const docker = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(services['djobs-worker']!.build).toBe('.');
    expect(docker).toMatch(/RUN npm run build/);
    expect(services['djobs-worker']!.command).toEqual(['node', 'dist/cli/index.js', 'worker']);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect(fs.existsSync(path.join(root, 'cli', 'index.ts'))).toBe(true);
  });

  it('the Temporal UI is on 8233 as in djobs dev (loopback only), and the REST API on 8080', () => {
    expect(services['temporal-ui']!.ports).toEqual(['127.0.0.1:8233:8080']);
    expect(services['temporal-ui']!.environment!.TEMPORAL_CORS_ORIGINS).toBe('http://localhost:8233');
    const api = services['djobs-api']!;
    expect(api.build).toBe('.');
    expect(api.command).toEqual(['node', 'dist/cli/index.js', 'api', '--host', '0.0.0.0', '--port', '8080']);
    expect(api.ports).toEqual(['8080:8080']);
    expect(api.depends_on!['temporal-setup']!.condition).toBe('service_completed_successfully');
    // No two services publish the same host port.
    // (`[address:]host:container`: the host port is the one before the container's.)
    const hostPorts = Object.values(services).flatMap((svc) => (svc.ports ?? []).map((p) => p.split(':').at(-2)));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('every djobs service reads the key ring (and the API its token) from secret files, never inline', () => {
    for (const name of ['djobs-worker', 'djobs-cli', 'djobs-api']) {
      const svc = services[name]!;
      expect(svc.environment?.DJOBS_ENCRYPTION_KEY_FILE, name).toBe('/run/secrets/djobs-encryption-keys');
      expect(svc.secrets, name).toContain('djobs-encryption-keys');
      expect(Object.keys(svc.environment ?? {}), name).not.toContain('DJOBS_ENCRYPTION_KEYS');
      expect(Object.keys(svc.environment ?? {}), name).not.toContain('DJOBS_API_TOKEN');
    }
    expect(services['djobs-api']!.environment?.DJOBS_API_TOKEN_FILE).toBe('/run/secrets/djobs-api-token');
    expect(compose.secrets).toEqual({
      'djobs-encryption-keys': { file: './secrets/encryption-keys' },
      'djobs-api-token': { file: './secrets/api-token' },
      'djobs-codec-token': { file: './secrets/codec-token' },
    });
    // The Temporal UI's codec credential: a secret file too, read into its endpoint at start.
    expect(services['djobs-api']!.environment?.DJOBS_CODEC_TOKEN_FILE).toBe('/run/secrets/djobs-codec-token');
    expect(services['temporal-ui']!.secrets).toEqual(['djobs-codec-token']);
    expect(Object.keys(services['temporal-ui']!.environment ?? {})).not.toContain('TEMPORAL_CODEC_ENDPOINT');
  });

  // The native run (servers/native-cluster.ts, test/cluster/compose-native.test.ts) runs this file's
  // own commands: only the tools' paths, the schema's directory and the server's address change.
  it('the native cluster builds the pinned server version and runs every schema and setup step', () => {
    // The install script is plain Node (CommonJS), run before the build.
    const { composeVersion } = createRequire(__filename)('../../../scripts/ensure-temporal-server.cjs') as {
      composeVersion: () => string;
    };
    const version = composeVersion();
    expect(services.temporal!.image).toBe(`temporalio/server:${version}`);
    expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${version}`);
    expect(services['temporal-setup']!.image).toBe(`temporalio/admin-tools:${version}`);
    expect(composeServices()).toEqual(services);

    const schema = nativeSchemaCommand(services, '/opt/t');
    const steps = (cmd: string) => cmd.split(/;|&&|\|\|/).map((s) => s.trim());
    expect(steps(schema)).toEqual(
      steps(([] as string[]).concat(services['temporal-schema']!.command ?? []).join(' ')).map((step) =>
        step.replace('temporal-sql-tool', '"/opt/t/temporal-sql-tool"').replace('/etc/temporal/schema', '/opt/t/schema')
      )
    );
    expect(schema).not.toContain('/etc/temporal');
    expect(schema.match(/update-schema -d \/opt\/t\/schema\/postgresql\/v12\/(\w+)\/versioned/g)).toHaveLength(2);

    const setup = nativeSetupCommand(services, '/opt/temporal', '127.0.0.1:4242');
    expect(setup).not.toContain('temporal:7233');
    expect(setup).toContain(
      '"/opt/temporal" operator namespace create -n default --retention 720h --address 127.0.0.1:4242'
    );
    expect([...setup.matchAll(/--name (\w+)/g)].map((m) => m[1]).sort()).toEqual(
      ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort()
    );
  });
});
