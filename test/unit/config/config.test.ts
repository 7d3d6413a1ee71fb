// Environment configuration: defaults, parsing, and one clear error listing every bad variable.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig } from '../../../config';
import { installedMlflowPython } from '../../../config/project-root';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const c = loadConfig({ DJOBS_HOME: '/tmp/djobs-home' });
    expect(c).toMatchObject({
      home: '/tmp/djobs-home',
      namespace: 'default',
      taskQueue: 'djobs',
      jobAccessCacheMs: 1000,
      poolMaxTasks: {},
      triggers: { timeScale: 1, fileArrivalPollSeconds: 10, continuousBackoffSeconds: 10, modelPollSeconds: 60 },
      mlflowPort: 5000,
    });
    expect(c.mlflowTrackingUri).toBeUndefined();
  });

  it('runs Python tasks with DJOBS_PYTHON, else the MLflow venv when installed, else python3', () => {
    expect(loadConfig({ DJOBS_PYTHON: '/opt/py/bin/python' }).python).toBe('/opt/py/bin/python');
    expect(loadConfig({}).python).toBe(installedMlflowPython() ?? 'python3');
    expect(loadConfig({ MLFLOW_TRACKING_URI: 'http://mlflow:5000' }).mlflowTrackingUri).toBe('http://mlflow:5000');
  });

  it('starts Python attempts from a fork server unless DJOBS_PYTHON_FORK_SERVER=off, preloading DJOBS_PYTHON_PRELOAD', () => {
    expect(loadConfig({}).pythonForkServer).toEqual({ enabled: true, preload: [] });
    expect(
      loadConfig({ DJOBS_PYTHON_FORK_SERVER: 'off', DJOBS_PYTHON_PRELOAD: ' pandas, numpy,, ' }).pythonForkServer
    ).toEqual({ enabled: false, preload: ['pandas', 'numpy'] });
    expect(() => loadConfig({ DJOBS_PYTHON_FORK_SERVER: 'yes' })).toThrow(
      'invalid durable-jobs configuration: DJOBS_PYTHON_FORK_SERVER: Invalid option: expected one of "on"|"off"'
    );
  });

  it('sends notification emails over SMTP when DJOBS_SMTP_HOST is set, else to the outbox', () => {
    const base = { DJOBS_HOME: '/tmp/h' };
    expect(loadConfig(base).email).toEqual({ from: 'durable-jobs <djobs@localhost>', outbox: '/tmp/h/outbox' });
    expect(
      loadConfig({
        ...base,
        DJOBS_SMTP_HOST: 'smtp.example.com',
        DJOBS_SMTP_PORT: '465',
        DJOBS_SMTP_SECURE: 'true',
        DJOBS_SMTP_USER: 'djobs',
        DJOBS_SMTP_PASSWORD: 'pw',
        DJOBS_SMTP_FROM: 'jobs@example.com',
      }).email
    ).toEqual({
      from: 'jobs@example.com',
      outbox: '/tmp/h/outbox',
      smtp: { host: 'smtp.example.com', port: 465, secure: true, user: 'djobs', password: 'pw' },
    });
    expect(loadConfig({ ...base, DJOBS_SMTP_HOST: 'smtp.example.com' }).email.smtp).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
    });
    expect(() => loadConfig({ ...base, DJOBS_SMTP_HOST: 'h', DJOBS_SMTP_USER: 'u' })).toThrow(
      'invalid durable-jobs configuration: DJOBS_SMTP_USER and DJOBS_SMTP_PASSWORD go together'
    );
    expect(() => loadConfig({ ...base, DJOBS_SMTP_SECURE: 'yes' })).toThrow(/DJOBS_SMTP_SECURE/);
  });

  it('parses the REST API access reuse and pool caps', () => {
    const c = loadConfig({ DJOBS_API_ACCESS_CACHE_MS: '0', DJOBS_POOL_MAX_TASKS: 'default=8, gpu=2' });
    expect(c.jobAccessCacheMs).toBe(0);
    expect(c.poolMaxTasks).toEqual({ default: 8, gpu: 2 });
  });

  it('takes the public Web UI address for run_page_url, an http(s) URL', () => {
    expect(loadConfig({ DJOBS_UI_URL: 'https://jobs.example.com/temporal' }).uiUrl).toBe(
      'https://jobs.example.com/temporal'
    );
    expect(loadConfig({}).uiUrl).toBeUndefined();
    expect(() => loadConfig({ DJOBS_UI_URL: 'jobs.example.com' })).toThrow(/DJOBS_UI_URL: /);
  });

  it('takes the public address of the jobs web UI, an http(s) URL', () => {
    expect(loadConfig({ DJOBS_WEB_UI_URL: 'https://jobs.example.com' }).webUiUrl).toBe('https://jobs.example.com');
    expect(loadConfig({}).webUiUrl).toBeUndefined();
    expect(() => loadConfig({ DJOBS_WEB_UI_URL: 'ftp://jobs' })).toThrow(/DJOBS_WEB_UI_URL: /);
  });

  it('sends PagerDuty events to PagerDuty unless DJOBS_PAGERDUTY_EVENTS_URL names another http(s) endpoint', () => {
    expect(loadConfig({}).pagerdutyEventsUrl).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(
      loadConfig({ DJOBS_PAGERDUTY_EVENTS_URL: 'https://events.eu.pagerduty.com/v2/enqueue' }).pagerdutyEventsUrl
    ).toBe('https://events.eu.pagerduty.com/v2/enqueue');
    expect(() => loadConfig({ DJOBS_PAGERDUTY_EVENTS_URL: 'events.pagerduty.com' })).toThrow(
      /DJOBS_PAGERDUTY_EVENTS_URL: /
    );
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ DJOBS_API_ACCESS_CACHE_MS: '-5', DJOBS_POOL_MAX_TASKS: 'gpu' })).toThrow(
      /DJOBS_POOL_MAX_TASKS: expected pool=limit pairs.*DJOBS_API_ACCESS_CACHE_MS: |DJOBS_API_ACCESS_CACHE_MS: .*DJOBS_POOL_MAX_TASKS: expected pool=limit pairs/
    );
  });
});

describe('docs/configuration.md', () => {
  it('documents every variable of the settings', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/configuration.md'), 'utf8');
    expect(ENV_VARIABLES.length).toBeGreaterThan(40);
    expect(ENV_VARIABLES.filter((v) => !doc.includes(`\`${v}\``))).toEqual([]);
  });
});
