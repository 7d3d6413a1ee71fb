// The durable-jobs web UI: sign in with a token, then jobs, a job, runs and a run, all read live
// from the public REST API.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { principalOf, type Principal } from './access';
import { ApiError, exchangeSignInCode, get, setOnUnauthenticated, token, type Me } from './api';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { href, signInCodeOf, useRoute } from './router';
import './styles.css';

function SignIn({ onSignedIn, reason }: { onSignedIn: (who: Principal) => void; reason?: string | undefined }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(reason);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          token.set(value.trim());
          get<Me>('2.0/preview/scim/v2/Me')
            .then((me) => onSignedIn(principalOf(me)))
            .catch((err: unknown) => {
              token.clear();
              setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid.' : String(err));
            })
            .finally(() => setBusy(false));
        }}
      >
        <h1>
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          durable-jobs
        </h1>
        <p class="muted">
          Sign in with an API token (DJOBS_API_TOKEN, or a token from the principals file), or open a sign-in link:{' '}
          <code>djobs ui</code> prints one.
        </p>
        <label class="field">
          <span>Token</span>
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            required
            autoFocus
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <p class="muted small">The token stays in this tab (session storage) and is sent only to this server.</p>
      </form>
    </main>
  );
}

function App() {
  const [who, setWho] = useState<Principal | undefined>(undefined);
  const [code] = useState(() => signInCodeOf(location.hash));
  const [checking, setChecking] = useState(token.get() !== null || code !== undefined);
  const [reason, setReason] = useState<string | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    setOnUnauthenticated(() => {
      token.clear();
      setWho(undefined);
      setReason('Your token is no longer accepted; sign in again.');
    });
    if (code !== undefined) {
      // The code is spent by its first use: it leaves the address bar and the tab's history.
      history.replaceState(null, '', `${location.pathname}${location.search}${href.jobs()}`);
      exchangeSignInCode(code)
        .then((session) => {
          token.set(session);
          return get<Me>('2.0/preview/scim/v2/Me');
        })
        .then((me) => setWho(principalOf(me)))
        .catch((err: unknown) => {
          token.clear();
          setReason(err instanceof ApiError ? err.message : String(err));
        })
        .finally(() => setChecking(false));
      return;
    }
    if (token.get() === null) return;
    get<Me>('2.0/preview/scim/v2/Me')
      .then((me) => setWho(principalOf(me)))
      .catch(() => token.clear())
      .finally(() => setChecking(false));
  }, []);
  if (checking) return null;
  if (!who) return <SignIn onSignedIn={setWho} reason={reason} />;
  const nav = route.page === 'runs' || route.page === 'run' ? 'runs' : 'jobs';
  return (
    <>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.jobs()}>
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          durable-jobs
        </a>
        <nav aria-label="Main">
          <a href={href.jobs()} aria-current={nav === 'jobs' ? 'page' : undefined}>
            Jobs
          </a>
          <a href={href.runs()} aria-current={nav === 'runs' ? 'page' : undefined}>
            Runs
          </a>
        </nav>
        <span class="who" title={who.groups.join(', ')}>
          {who.name}
          {who.admin ? ' (admin)' : ''}
        </span>
        <button
          type="button"
          class="ghost"
          onClick={() => {
            token.clear();
            setWho(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {route.page === 'jobs' && <JobsPage who={who} />}
        {route.page === 'job' && <JobPage key={route.jobId} who={who} jobId={route.jobId} tab={route.tab} />}
        {route.page === 'runs' && <RunsPage query={route.query} />}
        {route.page === 'run' && <RunPage key={route.runId} who={who} runId={route.runId} task={route.task} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
