/**
 * Charts as SVG (horizontal grouped bars, lines), rendered to PNG with resvg (from
 * bench/node_modules) using the DejaVu Sans font shipped by the `dejavu-fonts-ttf` package, so
 * the images come out the same on any machine.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { importBenchPackage, paths } from '../lib/modules.ts';

export type BarSeries = { name: string; color: string; values: (number | undefined)[] };

const font = 'DejaVu Sans';
const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A number for a label: 3 significant digits. */
export function formatNumber(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A round tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/**
 * Horizontal grouped bars: one group per category, one bar per series. Bars beyond `max` are
 * cut at the edge and labelled with their value and an arrow.
 */
export function barChart(options: {
  title: string;
  subtitle?: string;
  unit: string;
  categories: string[];
  series: BarSeries[];
  max?: number;
  /** A vertical reference line (e.g. a target), with its label. */
  reference?: { value: number; label: string };
}): string {
  const width = 1000;
  const left = 300;
  const right = 120;
  const barHeight = 16;
  const gap = 4;
  const groupGap = 14;
  const top = options.subtitle === undefined ? 60 : 80;
  const groupHeight = options.series.length * (barHeight + gap) + groupGap;
  const legendHeight = 40;
  const height = top + options.categories.length * groupHeight + legendHeight + 30;
  const all = options.series.flatMap((series) => series.values.filter((v) => v !== undefined));
  const dataMax = Math.max(1e-9, ...(all as number[]), options.reference?.value ?? 0);
  const wanted = options.max === undefined ? dataMax * 1.05 : Math.min(options.max, dataMax * 1.05);
  const step = niceStep(wanted, 5);
  const ticks = Math.max(1, Math.ceil(wanted / step));
  const max = step * ticks;
  const plotWidth = width - left - right;
  const x = (value: number) => left + (Math.max(0, Math.min(value, max)) / max) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${font}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="32" font-size="20" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle !== undefined)
    parts.push(
      `<text x="20" y="56" font-size="13" fill="#555">${escapeXml(options.subtitle)}</text>`,
    );
  // Grid.
  for (let index = 0; index <= ticks; index += 1) {
    const value = step * index;
    const position = x(value);
    parts.push(
      `<line x1="${position}" y1="${top - 8}" x2="${position}" y2="${height - legendHeight - 24}" stroke="#e3e3e3"/>`,
      `<text x="${position}" y="${height - legendHeight - 8}" font-size="11" text-anchor="middle" fill="#666">${formatNumber(value)}</text>`,
    );
  }
  parts.push(
    `<text x="${width - right + 30}" y="${height - legendHeight - 8}" font-size="11" fill="#666">${escapeXml(options.unit)}</text>`,
  );
  options.categories.forEach((category, categoryIndex) => {
    const groupTop = top + categoryIndex * groupHeight;
    const middle = groupTop + (options.series.length * (barHeight + gap)) / 2;
    parts.push(
      `<text x="${left - 10}" y="${middle + 4}" font-size="13" text-anchor="end">${escapeXml(category)}</text>`,
    );
    options.series.forEach((series, seriesIndex) => {
      const value = series.values[categoryIndex];
      const y = groupTop + seriesIndex * (barHeight + gap);
      if (value === undefined) {
        parts.push(
          `<text x="${left + 4}" y="${y + barHeight - 4}" font-size="11" fill="#999">n/a</text>`,
        );
        return;
      }
      const end = x(value);
      const clipped = value > max;
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, end - left)}" height="${barHeight}" fill="${series.color}"/>`,
        `<text x="${end + 5}" y="${y + barHeight - 4}" font-size="11" fill="#222">${formatNumber(value)}${clipped ? ' →' : ''}</text>`,
      );
    });
  });
  if (options.reference !== undefined) {
    const position = x(options.reference.value);
    parts.push(
      `<line x1="${position}" y1="${top - 8}" x2="${position}" y2="${height - legendHeight - 24}" stroke="#c0392b" stroke-dasharray="5,4" stroke-width="1.5"/>`,
      `<text x="${position + 4}" y="${top - 12}" font-size="11" fill="#c0392b">${escapeXml(options.reference.label)}</text>`,
    );
  }
  let legendX = left;
  for (const series of options.series) {
    parts.push(
      `<rect x="${legendX}" y="${height - 30}" width="14" height="14" fill="${series.color}"/>`,
      `<text x="${legendX + 20}" y="${height - 18}" font-size="12">${escapeXml(series.name)}</text>`,
    );
    legendX += 30 + series.name.length * 7.5;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Lines over a shared x axis. */
export function lineChart(options: {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; color: string; points: [number, number][] }[];
}): string {
  const width = 1000;
  const height = 460;
  const left = 80;
  const right = 40;
  const top = options.subtitle === undefined ? 75 : 100;
  const bottom = 90;
  const points = options.series.flatMap((series) => series.points);
  const xStep = niceStep(Math.max(1e-9, ...points.map(([px]) => px)), 6);
  const xMax = xStep * Math.ceil(Math.max(1e-9, ...points.map(([px]) => px)) / xStep);
  const yStep = niceStep(Math.max(1e-9, ...points.map(([, py]) => py)) * 1.1, 5);
  const yMax = yStep * Math.ceil((Math.max(1e-9, ...points.map(([, py]) => py)) * 1.1) / yStep);
  const x = (value: number) => left + (value / xMax) * (width - left - right);
  const y = (value: number) => height - bottom - (value / yMax) * (height - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${font}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="20" y="32" font-size="20" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle !== undefined)
    parts.push(
      `<text x="20" y="56" font-size="13" fill="#555">${escapeXml(options.subtitle)}</text>`,
    );
  for (let index = 0; index * yStep <= yMax + 1e-9; index += 1) {
    const value = yStep * index;
    parts.push(
      `<line x1="${left}" y1="${y(value)}" x2="${width - right}" y2="${y(value)}" stroke="#e3e3e3"/>`,
      `<text x="${left - 8}" y="${y(value) + 4}" font-size="11" text-anchor="end" fill="#666">${formatNumber(value)}</text>`,
    );
  }
  for (let index = 0; index * xStep <= xMax + 1e-9; index += 1) {
    const value = xStep * index;
    parts.push(
      `<text x="${x(value)}" y="${height - bottom + 18}" font-size="11" text-anchor="middle" fill="#666">${formatNumber(value)}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - bottom + 40}" font-size="12" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text x="20" y="${top - 14}" font-size="12">${escapeXml(options.yLabel)}</text>`,
  );
  let legendX = left;
  for (const series of options.series) {
    const path = series.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`);
    parts.push(
      `<polyline points="${path.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2.5"/>`,
      `<rect x="${legendX}" y="${height - 30}" width="14" height="14" fill="${series.color}"/>`,
      `<text x="${legendX + 20}" y="${height - 18}" font-size="12">${escapeXml(series.name)}</text>`,
    );
    legendX += 40 + series.name.length * 7.5;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

type Resvg = new (
  svg: string,
  options: {
    font: { fontFiles: string[]; loadSystemFonts: boolean; defaultFontFamily: string };
    fitTo: { mode: 'width'; value: number };
  },
) => { render(): { asPng(): Buffer } };

/** Renders an SVG to a PNG file. */
export async function writePng(svg: string, path: string): Promise<void> {
  const { Resvg } = await importBenchPackage<{ Resvg: Resvg }>('@resvg/resvg-js');
  const require = createRequire(join(paths.benchDirectory, 'package.json'));
  const fonts = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const png = new Resvg(svg, {
    font: {
      fontFiles: [join(fonts, 'DejaVuSans.ttf'), join(fonts, 'DejaVuSans-Bold.ttf')],
      loadSystemFonts: false,
      defaultFontFamily: font,
    },
    fitTo: { mode: 'width', value: 1000 },
  })
    .render()
    .asPng();
  writeFileSync(path, png);
}
