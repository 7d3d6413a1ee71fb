// Times and durations the way people read them on a dashboard.

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export const when = (ms: number | undefined): string => (ms ? dateTime.format(new Date(ms)) : '–');

export function ago(ms: number, now = Date.now()): string {
  if (!ms) return '–';
  const d = now - ms;
  if (d < 0) return `in ${duration(-d)}`;
  if (d < 5000) return 'just now';
  return `${duration(d).split(' ')[0]} ago`;
}
