/**
 * The one chart of docs/benchmarks: delivered DMs/s (left axis, with the RSA bound as a dashed
 * line) and p99 client→client latency (right axis, log scale) against offered load. Plain SVG
 * written here — no plotting service or library.
 */
export interface ChartPoint { offered: number; delivered: number; p99: number }

const W = 760;
const H = 420;
const M = { l: 70, r: 80, t: 50, b: 60 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const niceMax = (v: number): number => {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  return Math.ceil(v / p) * p;
};

export function throughputChart(points: readonly ChartPoint[], bound: number, title: string): string {
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const xMax = niceMax(Math.max(...points.map((p) => p.offered)));
  const yMax = niceMax(Math.max(bound, ...points.map((p) => Math.max(p.delivered, p.offered))) * 1.05);
  const lMin = 1;
  const lMax = 10 ** Math.ceil(Math.log10(Math.max(10, ...points.map((p) => p.p99))));
  const x = (v: number): number => M.l + (v / xMax) * pw;
  const y = (v: number): number => M.t + ph - (v / yMax) * ph;
  const yl = (v: number): number => M.t + ph - ((Math.log10(Math.max(v, lMin)) - Math.log10(lMin)) / (Math.log10(lMax) - Math.log10(lMin))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.l - 8}" y="${y(v) + 4}" text-anchor="end" fill="#1f5fbf">${Math.round(v)}</text>`);
    const xv = (xMax / 5) * i;
    out.push(`<text x="${x(xv)}" y="${M.t + ph + 18}" text-anchor="middle">${Math.round(xv)}</text>`);
  }
  for (let d = lMin; d <= lMax; d *= 10) out.push(`<text x="${M.l + pw + 8}" y="${yl(d) + 4}" fill="#c0392b">${d} ms</text>`);
  out.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(Math.min(xMax, yMax))}" y2="${y(Math.min(xMax, yMax))}" stroke="#aaa" stroke-dasharray="2 4"/>`);
  out.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${y(bound)}" y2="${y(bound)}" stroke="#1f5fbf" stroke-dasharray="8 5"/>`);
  out.push(`<text x="${M.l + 6}" y="${y(bound) - 6}" fill="#1f5fbf">RSA bound ${Math.round(bound)} DMs/s</text>`);
  const line = (pts: Array<[number, number]>, color: string): void => {
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`);
    for (const [a, b] of pts) out.push(`<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3.5" fill="${color}"/>`);
  };
  line(points.map((p) => [x(p.offered), y(p.delivered)]), '#1f5fbf');
  line(points.map((p) => [x(p.offered), yl(p.p99)]), '#c0392b');
  out.push(`<text x="${M.l + pw / 2}" y="${H - 18}" text-anchor="middle">offered load (DMs/s, 16 pairs, server A → server B)</text>`);
  out.push(`<text transform="translate(18 ${M.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#1f5fbf">delivered DMs/s</text>`);
  out.push(`<text transform="translate(${W - 14} ${M.t + ph / 2}) rotate(90)" text-anchor="middle" fill="#c0392b">p99 latency client→client (log)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
