// Who may make runs act as whom (Databricks' JobRunAs rules), and when an edit of a job is refused
// because the editor may not act as the job's identity. Pure: a directory of four principals.
import { describe, expect, it } from 'vitest';
import {
  changedCodeFields,
  editRefusal,
  mayActAs,
  principalOfIdentity,
  runAsRefusal,
  runJobTaskRefusal,
  unknownIdentityProblem,
  type Principal,
  type PrincipalDirectory,
  type RunAsIdentity,
} from '../../../../core';

const user = (name: string, groups: string[] = []): Principal => ({ name, kind: 'user', groups, admin: false });
const alice = user('alice@example.com', ['data-eng']);
const mallory = user('mallory@example.com');
const admin: Principal = { name: 'root@example.com', kind: 'user', groups: ['admins'], admin: true };
const bot: Principal = { name: 'etl-bot', kind: 'service_principal', groups: [], admin: false };
const known = [alice, mallory, admin, bot];
const directory: PrincipalDirectory = {
  find: (kind, name) => known.find((p) => p.kind === kind && p.name === name),
  groupExists: (name) => ['users', 'admins', 'data-eng'].includes(name),
  // alice holds servicePrincipal/user on etl-bot.
  holdsServicePrincipalUser: (who, name) => name === 'etl-bot' && who.name === alice.name,
};
const asUser = (name: string): RunAsIdentity => ({ kind: 'user', name });
const asBot: RunAsIdentity = { kind: 'service_principal', name: 'etl-bot' };
const asGroup: RunAsIdentity = { kind: 'group', name: 'data-eng' };

describe('run_as', () => {
  it.each([
    ['a user names itself', alice, asUser(alice.name), true],
    ['a user names another user', mallory, asUser(alice.name), false],
    ['an admin names any user', admin, asUser(alice.name), true],
    ['the servicePrincipal/user holder names the service principal', alice, asBot, true],
    ['a user without the role names the service principal', mallory, asBot, false],
    ['the service principal names itself', bot, asBot, true],
    ['a member names its group', alice, asGroup, true],
    ['a stranger names the group', mallory, asGroup, false],
  ])('%s', (_what, who, target, allowed) => {
    expect(mayActAs(who, target, directory)).toBe(allowed);
    expect(runAsRefusal(who, target, directory) === undefined).toBe(allowed);
  });

  it('refusals say why in Databricks’ terms', () => {
    expect(runAsRefusal(mallory, asUser(alice.name), directory)).toBe(
      'mallory@example.com cannot set run_as to the user alice@example.com: non-admin users can only set it to themselves.'
    );
    expect(runAsRefusal(mallory, asBot, directory)).toBe(
      'mallory@example.com cannot set run_as to the service principal etl-bot: that needs the servicePrincipal/user role on it.'
    );
  });

  it('an identity that does not exist is refused with its field', () => {
    expect(unknownIdentityProblem(asUser('nobody@example.com'), directory)).toBe(
      'run_as.user_name: no user named "nobody@example.com" exists'
    );
    expect(unknownIdentityProblem({ kind: 'service_principal', name: 'ghost' }, directory)).toBe(
      'run_as.service_principal_name: no service principal named "ghost" exists'
    );
    expect(unknownIdentityProblem(asBot, directory)).toBeUndefined();
  });

  it('changing what a job runs is refused to an editor who may not act as the job', () => {
    const before = { name: 'j', tasks: [{ task_key: 'a', shell_command_task: { command: 'true' } }] };
    const renamed = { ...before, name: 'k' };
    const recoded = { ...before, tasks: [{ task_key: 'a', shell_command_task: { command: 'env' } }] };
    expect(changedCodeFields(before, renamed)).toEqual([]);
    expect(changedCodeFields(before, recoded)).toEqual(['tasks']);
    // Key order does not make a change.
    expect(changedCodeFields(before, { tasks: [{ shell_command_task: { command: 'true' }, task_key: 'a' }] })).toEqual(
      []
    );
    expect(editRefusal(mallory, 7, asUser(alice.name), ['tasks'], directory)).toBe(
      "mallory@example.com cannot change tasks of job 7, which runs as alice@example.com: only its run_as principal or an admin can; set run_as to yourself in the same request to take the job's runs over."
    );
    expect(editRefusal(mallory, 7, asUser(alice.name), [], directory)).toBeUndefined();
    expect(editRefusal(alice, 7, asUser(alice.name), ['tasks'], directory)).toBeUndefined();
    expect(editRefusal(admin, 7, asUser(alice.name), ['tasks'], directory)).toBeUndefined();
  });

  it('run_job_task needs CAN_MANAGE_RUN on the called job; the refusal names nothing of it', () => {
    const access = {
      owner: { user_name: 'bob@example.com' },
      grants: [{ user_name: alice.name, permission_level: 'CAN_MANAGE_RUN' as const }],
    };
    const groupsOf = (name: string) => known.find((p) => p.name === name)?.groups ?? [];
    expect(runJobTaskRefusal(principalOfIdentity(asUser(alice.name), groupsOf), 9, access)).toBeUndefined();
    const refused =
      "mallory@example.com (the run's run_as) does not have CAN_MANAGE_RUN permission on job 9, or it does not exist: a run_job_task needs it to start that job.";
    expect(runJobTaskRefusal(principalOfIdentity(asUser(mallory.name), groupsOf), 9, access)).toBe(refused);
    expect(runJobTaskRefusal(principalOfIdentity(asUser(mallory.name), groupsOf), 9, undefined)).toBe(refused);
  });
});
