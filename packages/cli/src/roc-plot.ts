// One ROC plot for every evaluated model: an SVG drawn here (axes, grid, chance diagonal, one curve and
// legend entry per model), turned into a PNG by sharp (librsvg), so no plotting library is needed.
import type { RocPoint } from '@faceshot/vision/evaluation/verification-metrics';
import sharp from 'sharp';

export interface PlottedCurve {
  label: string;
  points: readonly RocPoint[];
}

const SIZE = 640;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 60 };
const PLOT = SIZE - MARGIN.left - MARGIN.right;
// Distinguishable for colour-blind readers (Okabe-Ito).
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Pixel coordinates of a rate pair, to 0.1 px (keeps the SVG small). */
const round = (value: number) => Math.round(value * 10) / 10;
const x = (falsePositiveRate: number) => round(MARGIN.left + falsePositiveRate * PLOT);
const y = (truePositiveRate: number) => round(MARGIN.top + (1 - truePositiveRate) * PLOT);

export function rocSvg(curves: readonly PlottedCurve[], title: string): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${SIZE}" height="${SIZE}" fill="white"/>`,
    `<text x="${SIZE / 2}" y="24" font-size="16" text-anchor="middle">${escapeXml(title)}</text>`,
  ];
  for (let tick = 0; tick <= 5; tick++) {
    const value = tick / 5;
    parts.push(
      `<line x1="${x(value)}" y1="${y(0)}" x2="${x(value)}" y2="${y(1)}" stroke="#e0e0e0"/>`,
      `<line x1="${x(0)}" y1="${y(value)}" x2="${x(1)}" y2="${y(value)}" stroke="#e0e0e0"/>`,
      `<text x="${x(value)}" y="${y(0) + 18}" font-size="12" text-anchor="middle">${value.toFixed(1)}</text>`,
      `<text x="${x(0) - 8}" y="${y(value) + 4}" font-size="12" text-anchor="end">${value.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<rect x="${x(0)}" y="${y(1)}" width="${PLOT}" height="${PLOT}" fill="none" stroke="#606060"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#909090" stroke-dasharray="6 4"/>`,
    `<text x="${x(0.5)}" y="${SIZE - 18}" font-size="13" text-anchor="middle">false accept rate (different people called the same)</text>`,
    `<text transform="translate(20 ${y(0.5)}) rotate(-90)" font-size="13" text-anchor="middle">true accept rate (same person recognised)</text>`,
  );
  curves.forEach((curve, index) => {
    const colour = COLOURS[index % COLOURS.length] ?? '#000000';
    const path = curve.points
      .map((point, at) => `${at === 0 ? 'M' : 'L'}${x(point.falsePositiveRate)},${y(point.truePositiveRate)}`)
      .join(' ');
    // Legend in the lower right, where ROC curves of useful models never pass.
    const legendY = y(0) - 20 - (curves.length - 1 - index) * 20;
    parts.push(
      `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      `<line x1="${x(0.4)}" y1="${legendY - 4}" x2="${x(0.4) + 24}" y2="${legendY - 4}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${x(0.4) + 30}" y="${legendY}" font-size="13">${escapeXml(curve.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function rocPng(curves: readonly PlottedCurve[], title: string): Promise<Buffer> {
  return sharp(Buffer.from(rocSvg(curves, title)))
    .png()
    .toBuffer();
}
