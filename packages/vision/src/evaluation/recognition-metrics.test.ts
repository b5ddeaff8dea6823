// The threshold for a target false-accept rate, and the open-set and held-out figures built on it.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { seededRandom } from '@faceshot/core/seeded-random';
import { heldOutFigures, nearestIn, openSetIdentification, thresholdForFar } from './recognition-metrics.js';

it('sets the threshold so that at most the target share of impostors is accepted', () => {
  const impostors = Array.from({ length: 200 }, (_, index) => 0.5 + index / 200);
  const { threshold, measuredFar } = thresholdForFar(impostors, 0.01);
  assert.equal(measuredFar, 0.01);
  assert.equal(impostors.filter((distance) => distance <= threshold).length, 2);
  // Too few impostors for 1%: just below the nearest one.
  const few = thresholdForFar([0.9, 0.7, 0.8], 0.01);
  assert.equal(few.measuredFar, 0);
  assert.ok(few.threshold < 0.7 && few.threshold > 0.69);
  // Ties are never split: 0.6 twice, 5% of 40 allows 2, but the third is also 0.6 → 1 allowed.
  const tied = thresholdForFar([0.5, 0.6, 0.6, ...Array.from({ length: 37 }, () => 1)], 0.05);
  assert.equal(tied.measuredFar, 1 / 40);
  assert.equal(thresholdForFar([], 0.01).measuredFar, null);
});

/** People as Gaussian clusters in 16 dimensions. */
function syntheticPeople(count: number, photos: number, seed: number): Map<string, number[][]> {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const people = new Map<string, number[][]>();
  for (let person = 0; person < count; person++) {
    const centre = Array.from({ length: 16 }, gaussian);
    people.set(
      `${seed}-${person}`,
      Array.from({ length: photos }, () => centre.map((value) => value + 0.45 * gaussian())),
    );
  }
  return people;
}

it('hits the target FAR on new strangers within tolerance (synthetic people)', () => {
  const targetFar = 0.05;
  const measured = openSetIdentification(syntheticPeople(200, 4, 1), { targetFar, seed: 2, rounds: 10 });
  assert.equal(measured.impostorProbes, 10 * 100 * 4);
  assert.ok(measured.measuredFar !== null && measured.measuredFar <= targetFar);
  assert.ok(measured.tar > 0.3, `TAR ${measured.tar}`);
  // The same threshold against a gallery of 100 other people, probed by 2,000 further strangers.
  const gallery = [...syntheticPeople(100, 1, 3)].map(([identity, photos]) => ({
    identity,
    embedding: photos[0] ?? [],
  }));
  const strangers = [...syntheticPeople(500, 4, 4).values()].flat();
  const accepted = strangers.filter(
    (probe) => (nearestIn(probe, gallery)?.distance ?? Number.POSITIVE_INFINITY) <= measured.threshold,
  ).length;
  const far = accepted / strangers.length;
  assert.ok(Math.abs(far - targetFar) < 0.02, `FAR on new strangers ${far}, target ${targetFar}`);
});

it('counts photos without a face as errors in held-out top-1', () => {
  const gallery = [
    { identity: 'a', embedding: [0, 0] },
    { identity: 'b', embedding: [1, 0] },
  ];
  const probes = [
    { identity: 'a', embedding: [0.1, 0] },
    { identity: 'b', embedding: [0.9, 0] },
    { identity: 'b', embedding: [0.2, 0] },
  ];
  const figures = heldOutFigures(gallery, probes, 1, 0.01);
  assert.equal(figures.top1, 2 / 4);
  assert.equal(figures.probes, 3);
  assert.equal(figures.missed, 1);
});
