import { describe, expect, it } from 'vitest';
import { layeredLayout } from '../../../ui/src/layered-layout';

const node = (id: string) => ({ id, width: 100, height: 40 });

describe('layered layout', () => {
  it('puts each task in the column after its deepest dependency, without overlaps', () => {
    const r = layeredLayout({
      id: 1,
      nodes: ['a', 'b', 'c', 'd'].map(node),
      edges: [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
        ['a', 'd'],
      ],
    });
    const x = (id: string) => r.nodes[id]!.x;
    expect(x('a')).toBeLessThan(x('b'));
    expect(x('b')).toBe(x('c'));
    expect(x('d')).toBeGreaterThan(x('b'));
    expect(Math.abs(r.nodes.b!.y - r.nodes.c!.y)).toBeGreaterThanOrEqual(40);
    expect(r.edges).toHaveLength(5);
    expect(r.edges[0]!.points[0]).toEqual({ x: x('a') + 100, y: r.nodes.a!.y + 20 });
  });

  it('lays out 1000 tasks with 1500 edges and every node placed once', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ids = Array.from({ length: 1000 }, (_, i) => `t${i}`);
    const edges: [string, string][] = [];
    ids.forEach((id, i) => {
      for (let k = 0; i > 0 && k < 3; k++) if (rand() < 0.5) edges.push([ids[Math.floor(rand() * i)]!, id]);
    });
    const r = layeredLayout({ id: 2, nodes: ids.map(node), edges });
    expect(Object.keys(r.nodes)).toHaveLength(1000);
    const spots = new Set(Object.values(r.nodes).map((n) => `${n.x},${n.y}`));
    expect(spots.size).toBe(1000);
    for (const [from, to] of edges) expect(r.nodes[from]!.x).toBeLessThan(r.nodes[to]!.x);
  });
});
