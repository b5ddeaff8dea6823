// A model card's comparison with faceapi-baseline as text: per protocol, both models' figures side by
// side and which is better, and a verdict that says plainly when the trained model does not win.
import type { Figure, ModelCard, ProtocolResult } from '@faceshot/core/contracts/model-card';

const TITLES: Record<ProtocolResult['protocol'], string> = {
  unseenPeople: '(a) people the model never trained on',
  heldOutPhotos: "(b) the dataset's own people, photos held out of training and of the gallery",
};

function figure(value: Figure): string {
  if (value.value === null) return 'n/a';
  return value.sd === undefined
    ? value.value.toFixed(3)
    : `${value.value.toFixed(3)} ± ${value.sd.toFixed(3)}`;
}

function verdict(difference: number | null): string {
  if (difference === null) return 'not measurable';
  if (difference > 0) return 'trained better';
  if (difference < 0) return 'baseline better';
  return 'equal';
}

export function formatComparison(card: ModelCard): string {
  const lines: string[] = [];
  const rows: string[][] = [];
  for (const protocol of [card.protocols.unseenPeople, card.protocols.heldOutPhotos]) {
    lines.push('');
    lines.push(`${TITLES[protocol.protocol]}: ${protocol.description}`);
    if (protocol.warning) lines.push(`  note: ${protocol.warning}`);
    const table = [
      ['metric', 'trained', 'faceapi-baseline', 'better'],
      ...protocol.metrics.map((metric) => [
        metric.label,
        figure(metric.trained),
        figure(metric.baseline),
        verdict(metric.difference),
      ]),
    ];
    const widths = (table[0] ?? []).map((_, column) =>
      Math.max(...table.map((row) => (row[column] ?? '').length)),
    );
    for (const row of table)
      lines.push(
        `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')}`,
      );
    rows.push(...table.slice(1));
  }
  const worse = rows.filter((row) => row[3] === 'baseline better').map((row) => row[0]);
  lines.push('');
  lines.push(
    card.beatsBaseline
      ? `verdict: the trained model beats faceapi-baseline (better on ${rows.filter((row) => row[3] === 'trained better').length} of ${rows.length} figures, worse on none)`
      : worse.length > 0
        ? `verdict: the trained model does NOT beat faceapi-baseline: worse on ${worse.join('; ')}`
        : 'verdict: the trained model does NOT beat faceapi-baseline: no figure is better',
  );
  const rule = card.thresholdRule;
  lines.push(
    `threshold: distance ≤ ${rule.distance.toFixed(3)} for a target FAR of ${(rule.targetFar * 100).toFixed(1)}%` +
      `${rule.measuredFar === null ? '' : ` (measured ${(rule.measuredFar * 100).toFixed(1)}% over ${rule.impostorProbes} stranger probes)`}, set on ${rule.measuredOn}`,
  );
  return `${lines.join('\n')}\n`;
}
