// DAG layout off the main thread, so a 1000-task graph never freezes the page: dagre (routed
// edges, fewest crossings) for graphs people read node by node, the linear layered layout above
// DAGRE_MAX_NODES, where dagre takes seconds (npm run bench measures both sizes).
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import { layeredLayout } from './layered-layout';
import type { LayoutRequest, LayoutResult } from './layout-types';

const DAGRE_MAX_NODES = 150;

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(r: LayoutResult): void;
};

ctx.onmessage = (e) => ctx.postMessage(e.data.nodes.length > DAGRE_MAX_NODES ? layeredLayout(e.data) : layout(e.data));

function layout(req: LayoutRequest): LayoutResult {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  // tight-tree ranks about as well as network-simplex here, several times faster.
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 12, marginy: 12, ranker: 'tight-tree' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of req.nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const [from, to] of req.edges) if (g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to);
  dagre.layout(g);
  const nodes: LayoutResult['nodes'] = {};
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes[id] = { x: (n.x ?? 0) - n.width / 2, y: (n.y ?? 0) - n.height / 2, width: n.width, height: n.height };
  }
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] }));
  const { width = 0, height = 0 } = g.graph();
  return { id: req.id, nodes, edges, width, height };
}
