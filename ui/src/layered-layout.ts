// A fast layered layout for large DAGs, where dagre's dummy nodes for long edges make it take
// seconds: columns by longest path from the sources, rows ordered by a few barycenter sweeps,
// edges drawn straight from column to column. Linear in nodes + edges per sweep. Pure.
import type { LayoutRequest, LayoutResult } from './layout-types';

const RANK_GAP = 56;
const ROW_GAP = 12;
const MARGIN = 12;
const SWEEPS = 4;

export function layeredLayout(req: LayoutRequest): LayoutResult {
  const ids = req.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds: number[][] = ids.map(() => []);
  const succs: number[][] = ids.map(() => []);
  for (const [from, to] of req.edges) {
    const a = index.get(from);
    const b = index.get(to);
    if (a === undefined || b === undefined || a === b) continue;
    preds[b]!.push(a);
    succs[a]!.push(b);
  }
  // Longest path from a source (Kahn's order); nodes on a cycle, if any, stay in column 0.
  const rank = ids.map(() => 0);
  const indegree = preds.map((p) => p.length);
  const queue = ids.map((_, i) => i).filter((i) => indegree[i] === 0);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q]!;
    for (const w of succs[v]!) {
      rank[w] = Math.max(rank[w]!, rank[v]! + 1);
      if (--indegree[w]! === 0) queue.push(w);
    }
  }
  const columns: number[][] = [];
  for (const v of queue.length === ids.length ? queue : ids.map((_, i) => i)) (columns[rank[v]!] ??= []).push(v);
  const position = new Float64Array(ids.length);
  const renumber = (col: number[]) => col.forEach((v, i) => (position[v] = i));
  columns.forEach(renumber);
  const barycenter = (v: number, by: number[][]) => {
    const ns = by[v]!;
    if (ns.length === 0) return position[v]!;
    let sum = 0;
    for (const n of ns) sum += position[n]!;
    return sum / ns.length;
  };
  for (let s = 0; s < SWEEPS; s++) {
    const down = s % 2 === 0;
    const order = down ? columns : [...columns].reverse();
    for (const col of order) {
      const key = new Map(col.map((v) => [v, barycenter(v, down ? preds : succs)]));
      col.sort((a, b) => key.get(a)! - key.get(b)!);
      renumber(col);
    }
  }
  // Coordinates: columns left to right, each centred on the tallest.
  const height = req.nodes[0]?.height ?? 40;
  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const nodes: LayoutResult['nodes'] = {};
  let x = MARGIN;
  for (const col of columns) {
    const width = Math.max(0, ...col.map((v) => req.nodes[v]!.width));
    const offset = ((tallest - col.length) * (height + ROW_GAP)) / 2;
    col.forEach((v, i) => {
      const n = req.nodes[v]!;
      nodes[n.id] = { x, y: MARGIN + offset + i * (height + ROW_GAP), width: n.width, height: n.height };
    });
    x += width + RANK_GAP;
  }
  const edges = req.edges
    .filter(([from, to]) => nodes[from] && nodes[to] && from !== to)
    .map(([from, to]) => {
      const a = nodes[from]!;
      const b = nodes[to]!;
      return {
        from,
        to,
        points: [
          { x: a.x + a.width, y: a.y + a.height / 2 },
          { x: b.x, y: b.y + b.height / 2 },
        ],
      };
    });
  return {
    id: req.id,
    nodes,
    edges,
    width: x - RANK_GAP + MARGIN,
    height: MARGIN * 2 + tallest * (height + ROW_GAP) - ROW_GAP,
  };
}
