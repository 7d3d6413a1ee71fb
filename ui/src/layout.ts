// Asks the layout worker for node positions; one worker for the page, answers matched by id.
import type { LayoutRequest, LayoutResult } from './layout-types';

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (r: LayoutResult) => void>();

export function layoutGraph(req: Omit<LayoutRequest, 'id'>): Promise<LayoutResult> {
  if (!worker) {
    const src = document.querySelector<HTMLMetaElement>('meta[name="djobs-layout-worker"]')?.content;
    worker = new Worker(src ?? '/ui/layout-worker.js', { type: 'module' });
    worker.onmessage = (e: MessageEvent<LayoutResult>) => {
      waiting.get(e.data.id)?.(e.data);
      waiting.delete(e.data.id);
    };
  }
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker!.postMessage({ id, ...req });
  });
}
