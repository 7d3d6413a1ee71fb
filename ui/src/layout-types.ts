// What the page asks the layout worker and what it answers (no DOM: the pure layout uses them too).
export interface LayoutRequest {
  id: number;
  nodes: { id: string; width: number; height: number }[];
  edges: [string, string][];
}
export interface LayoutResult {
  id: number;
  nodes: Record<string, { x: number; y: number; width: number; height: number }>;
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}
