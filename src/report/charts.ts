// The report's figures: Vega-Lite specifications compiled and rendered to SVG in Node by Vega's headless
// view (renderer 'none'), so the page needs no script or network to draw them.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const WIDTH = 380;
const HEIGHT = 190;
const CONFIG = { font: 'system-ui, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', labelLimit: 420, columns: 1 }, view: { stroke: null } } as const;

export type Row = Record<string, number | string>;

/** Renders a Vega-Lite specification to an SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile({ ...spec, config: CONFIG }).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Histogram of `values` (Fig. C.1 for infl): counts per bin. */
export function histogram(values: ArrayLike<number>, axis: { x: string; maxbins?: number; domain?: [number, number] }): Promise<string> {
  return renderSvg({
    width: WIDTH,
    height: HEIGHT,
    data: { values: Array.from(values, (v) => ({ v })) },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      x: { field: 'v', type: 'quantitative', bin: { maxbins: axis.maxbins ?? 40, ...(axis.domain && { extent: axis.domain }) }, title: axis.x },
      y: { aggregate: 'count', type: 'quantitative', title: 'count' },
    },
  });
}

/** Bars of given heights over discrete categories, in the order given. */
export function bars(rows: { category: string; value: number }[], axis: { x: string; y: string }): Promise<string> {
  return renderSvg({
    width: Math.min(WIDTH, 60 + 40 * rows.length),
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      x: { field: 'category', type: 'ordinal', sort: null, title: axis.x, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: axis.y },
    },
  });
}

/** Lines with points, one per series; `low`/`high` (when given) draw a band around each line. */
export function lines(rows: { x: number; y: number; series: string; low?: number; high?: number }[], axis: { x: string; y: string; yDomain?: [number, number]; zero?: boolean }): Promise<string> {
  const color = { field: 'series', type: 'nominal', title: null } as const;
  const x = { field: 'x', type: 'quantitative', title: axis.x } as const;
  const y = { field: 'y', type: 'quantitative', title: axis.y, scale: axis.yDomain ? { domain: axis.yDomain } : { zero: axis.zero ?? false } } as const;
  const banded = rows.some((r) => r.low !== undefined);
  return renderSvg({
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: [
      ...(banded ? [{ mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } } as const] : []),
      { mark: { type: 'line', point: true }, encoding: { x, y, color } },
    ],
  });
}
