// A job's tasks as a graph laid out by dagre (on a worker), each node colored by its task's
// state. Nodes are buttons: click or Enter opens the task. Re-laid out only when the graph
// itself changes; live updates only recolor.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { layoutGraph } from '../layout';
import type { LayoutResult } from '../layout-types';
import { LOOK_LABEL, type Look } from '../states';

export interface DagTask {
  key: string;
  deps: string[];
  look?: Look;
  /** Second line of the node, e.g. a duration. */
  note?: string;
}

const NODE_H = 40;
// Wide enough for the key and for the state line ("Succeeded · 1m 20s").
const nodeWidth = (key: string) => Math.min(230, Math.max(158, key.length * 7.6 + 30));

export function Dag({
  tasks,
  selected,
  onSelect,
}: {
  tasks: DagTask[];
  selected?: string | undefined;
  onSelect?: (key: string) => void;
}) {
  const signature = useMemo(() => tasks.map((t) => `${t.key}<${t.deps.join(',')}`).join(';'), [tasks]);
  const [layout, setLayout] = useState<LayoutResult | undefined>(undefined);
  const [scale, setScale] = useState<number | undefined>(undefined);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let live = true;
    void layoutGraph({
      nodes: tasks.map((t) => ({ id: t.key, width: nodeWidth(t.key), height: NODE_H })),
      edges: tasks.flatMap((t) => t.deps.map((d) => [d, t.key] as [string, string])),
    }).then((r) => {
      if (!live) return;
      setLayout(r);
      // Fit the width, but never so small that labels cannot be read.
      const w = box.current?.clientWidth ?? r.width;
      setScale(Math.max(0.45, Math.min(1, (w - 8) / Math.max(1, r.width))));
    });
    return () => {
      live = false;
    };
  }, [signature]);
  const byKey = useMemo(() => new Map(tasks.map((t) => [t.key, t])), [tasks]);
  if (!layout || scale === undefined)
    return (
      <div class="dag" ref={box}>
        <p class="muted">Laying out {tasks.length} tasks…</p>
      </div>
    );
  const zoom = (f: number) => setScale((s) => Math.max(0.2, Math.min(2, (s ?? 1) * f)));
  return (
    <div class="dag-wrap">
      <div class="dag-tools" role="group" aria-label="Zoom">
        <button type="button" class="small" onClick={() => zoom(1 / 1.25)} aria-label="Zoom out">
          −
        </button>
        <button type="button" class="small" onClick={() => zoom(1.25)} aria-label="Zoom in">
          +
        </button>
        <span class="muted">{tasks.length} tasks</span>
      </div>
      <div class="dag" ref={box} data-dag-ready={String(tasks.length)}>
        <svg
          width={layout.width * scale}
          height={layout.height * scale}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="group"
          aria-label="Task graph"
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L10,5 L0,10 z" class="arrow" />
            </marker>
          </defs>
          {layout.edges.map((e) => (
            <path
              key={`${e.from}>${e.to}`}
              class="edge"
              marker-end="url(#arrow)"
              d={e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ')}
            />
          ))}
          {Object.entries(layout.nodes).map(([key, n]) => {
            const t = byKey.get(key);
            const look = t?.look;
            const label = `${key}${look ? `: ${LOOK_LABEL[look]}` : ''}${t?.note ? `, ${t.note}` : ''}`;
            return (
              <g
                key={key}
                class={`node ${look ? `s-${look}` : 's-none'}${selected === key ? ' selected' : ''}`}
                transform={`translate(${n.x},${n.y})`}
                data-task-key={key}
                data-state={look ?? 'none'}
                {...(onSelect
                  ? {
                      // Lower-case: SVG attributes are case-sensitive, and only `tabindex` makes a node focusable.
                      tabindex: 0,
                      role: 'button',
                      'aria-label': label,
                      'aria-pressed': selected === key,
                      onClick: () => onSelect(key),
                      onKeyDown: (ev: KeyboardEvent) => {
                        if (ev.key === 'Enter' || ev.key === ' ') {
                          ev.preventDefault();
                          onSelect(key);
                        }
                      },
                    }
                  : { 'aria-label': label })}
              >
                <title>{label}</title>
                <rect width={n.width} height={n.height} rx="7" />
                <rect class="stripe" width="6" height={n.height} rx="3" />
                <text x="14" y={t?.note || look ? 17 : 24} class="key">
                  {key.length > 26 ? `${key.slice(0, 25)}…` : key}
                </text>
                {(t?.note || look) && (
                  <text x="14" y="32" class="note">
                    {look ? LOOK_LABEL[look] : ''}
                    {t?.note ? ` · ${t.note}` : ''}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
