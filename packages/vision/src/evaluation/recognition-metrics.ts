// Recognition against a gallery, the way users meet a model: a threshold set for a target false-accept
// rate, open-set identification (TAR at that FAR: enrolled people found, strangers turned away), and
// closed-set top-1 of held-out photos against the enrolled photos of the same people.
import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import { euclidean, oneShotAccuracy, rocAuc, type ScoredPair } from './verification-metrics.js';

export interface Labelled {
  identity: string;
  embedding: readonly number[];
}

/** The nearest gallery photo of a probe (optionally ignoring one identity): its person and distance. */
export function nearestIn(
  probe: readonly number[],
  gallery: readonly Labelled[],
  skipIdentity?: string,
): { identity: string; distance: number } | undefined {
  let best: { identity: string; distance: number } | undefined;
  for (const entry of gallery) {
    if (entry.identity === skipIdentity) continue;
    const distance = euclidean(probe, entry.embedding);
    if (best === undefined || distance < best.distance) best = { identity: entry.identity, distance };
  }
  return best;
}

/**
 * The distance threshold ("accept if distance ≤ t") that accepts at most `targetFar` of the impostor
 * distances: halfway between the last allowed impostor and the first refused one. With too few
 * impostors to allow even one, it lies just below the nearest impostor (measured FAR 0).
 */
export function thresholdForFar(
  impostorDistances: readonly number[],
  targetFar: number,
): { threshold: number; measuredFar: number | null } {
  const sorted = [...impostorDistances].sort((a, b) => a - b);
  if (sorted.length === 0) return { threshold: Number.NaN, measuredFar: null };
  let allowed = Math.floor(targetFar * sorted.length + 1e-9);
  // Ties cannot be split: step back until the allowed ones are strictly below the first refused.
  while (allowed > 0 && sorted[allowed - 1] === sorted[allowed]) allowed--;
  const refused = sorted[allowed];
  const threshold =
    refused === undefined
      ? (sorted[sorted.length - 1] ?? 0)
      : allowed === 0
        ? refused - 1e-6
        : ((sorted[allowed - 1] ?? 0) + refused) / 2;
  return { threshold, measuredFar: allowed / sorted.length };
}

export interface OpenSetResult {
  /** Genuine probes identified correctly within the threshold, over all genuine probes. */
  tar: number;
  threshold: number;
  measuredFar: number | null;
  genuineProbes: number;
  impostorProbes: number;
  galleryPeople: number;
}

/**
 * Open-set identification of people (rounds of random halves): half the people are enrolled from one
 * photo each; their other photos are genuine probes, every photo of the other half is a stranger. The
 * threshold comes from the strangers' nearest distances at the target FAR; TAR counts genuine probes
 * whose nearest gallery person is right and within the threshold. Rounds pool their probes.
 */
export function openSetIdentification(
  byIdentity: ReadonlyMap<string, readonly (readonly number[])[]>,
  options: { targetFar: number; seed: number; rounds?: number },
): OpenSetResult {
  const people = [...byIdentity.keys()]
    .filter((identity) => (byIdentity.get(identity)?.length ?? 0) > 0)
    .sort();
  const random = seededRandom(options.seed);
  const genuine: { correct: boolean; distance: number }[] = [];
  const impostors: number[] = [];
  let galleryPeople = 0;
  for (let round = 0; round < (options.rounds ?? 5) && people.length >= 2; round++) {
    const order = shuffled(people, random);
    const enrolled = order.slice(0, Math.ceil(order.length / 2));
    const strangers = order.slice(enrolled.length);
    galleryPeople = enrolled.length;
    const gallery: Labelled[] = [];
    const probes: Labelled[] = [];
    for (const identity of enrolled) {
      const photos = shuffled(byIdentity.get(identity) ?? [], random);
      gallery.push({ identity, embedding: photos[0] as readonly number[] });
      for (const photo of photos.slice(1)) probes.push({ identity, embedding: photo });
    }
    for (const probe of probes) {
      const found = nearestIn(probe.embedding, gallery);
      if (found) genuine.push({ correct: found.identity === probe.identity, distance: found.distance });
    }
    for (const identity of strangers) {
      for (const photo of byIdentity.get(identity) ?? []) {
        const found = nearestIn(photo, gallery);
        if (found) impostors.push(found.distance);
      }
    }
  }
  const { threshold, measuredFar } = thresholdForFar(impostors, options.targetFar);
  const accepted = genuine.filter((probe) => probe.correct && probe.distance <= threshold).length;
  return {
    tar: genuine.length === 0 || measuredFar === null ? Number.NaN : accepted / genuine.length,
    threshold,
    measuredFar,
    genuineProbes: genuine.length,
    impostorProbes: impostors.length,
    galleryPeople,
  };
}

/** Same-person pairs (up to a cap) and as many seeded different-person pairs, scored by Euclidean distance. */
export function verificationPairs(
  byIdentity: ReadonlyMap<string, readonly (readonly number[])[]>,
  seed: number,
  capPerClass = 5_000,
): ScoredPair[] {
  const random = seededRandom(seed);
  const people = [...byIdentity.keys()].sort();
  const scored: ScoredPair[] = [];
  for (const identity of people) {
    const photos = byIdentity.get(identity) ?? [];
    for (let i = 0; i < photos.length; i++)
      for (let j = i + 1; j < photos.length; j++)
        scored.push({ distance: euclidean(photos[i] ?? [], photos[j] ?? []), same: true });
  }
  const same = shuffled(scored, random).slice(0, capPerClass);
  const different: ScoredPair[] = [];
  for (
    let attempt = 0;
    different.length < same.length && attempt < same.length * 50 && people.length > 1;
    attempt++
  ) {
    const a = people[Math.floor(random() * people.length)] as string;
    const b = people[Math.floor(random() * people.length)] as string;
    if (a === b) continue;
    const photosA = byIdentity.get(a) ?? [];
    const photosB = byIdentity.get(b) ?? [];
    const x = photosA[Math.floor(random() * photosA.length)];
    const y = photosB[Math.floor(random() * photosB.length)];
    if (x && y) different.push({ distance: euclidean(x, y), same: false });
  }
  return [...same, ...different];
}

export function verificationAuc(
  byIdentity: ReadonlyMap<string, readonly (readonly number[])[]>,
  seed: number,
): number {
  return rocAuc(verificationPairs(byIdentity, seed));
}

/** Protocol (a) on a set of people no model was trained on. */
export interface UnseenPeopleFigures {
  people: number;
  photos: number;
  oneShot5Way: number;
  oneShotAllWay: number;
  allWays: number;
  auc: number;
  tarAtFar: number;
  openSet: OpenSetResult;
}

export function unseenPeopleFigures(
  byIdentity: ReadonlyMap<string, readonly (readonly number[])[]>,
  options: { targetFar: number; seed: number; trials?: number },
): UnseenPeopleFigures {
  const trials = options.trials ?? 1000;
  const all = oneShotAccuracy(byIdentity, 'all', trials, options.seed);
  const openSet = openSetIdentification(byIdentity, options);
  return {
    people: byIdentity.size,
    photos: [...byIdentity.values()].reduce((sum, photos) => sum + photos.length, 0),
    oneShot5Way: oneShotAccuracy(byIdentity, 5, trials, options.seed).accuracy,
    oneShotAllWay: all.accuracy,
    allWays: all.ways,
    auc: verificationAuc(byIdentity, options.seed),
    tarAtFar: openSet.tar,
    openSet,
  };
}

/** Protocol (b): held-out photos of enrolled people against every enrolled photo. */
export interface HeldOutFigures {
  people: number;
  probes: number;
  missed: number;
  galleryPhotos: number;
  /** Nearest gallery photo is the right person, over probes + missed (a photo without a face is an error). */
  top1: number;
  /**
   * Open-set check on the same photos: each probe is a stranger to a gallery without its own person
   * (that sets the threshold at the target FAR) and a genuine probe to the full gallery.
   */
  tarAtFar: number;
  threshold: number;
  measuredFar: number | null;
}

export function heldOutFigures(
  gallery: readonly Labelled[],
  probes: readonly Labelled[],
  missed: number,
  targetFar: number,
): HeldOutFigures {
  const people = new Set(gallery.map((entry) => entry.identity));
  const answers = probes.map((probe) => ({
    probe,
    found: nearestIn(probe.embedding, gallery),
    stranger: nearestIn(probe.embedding, gallery, probe.identity),
  }));
  const correct = answers.filter((answer) => answer.found?.identity === answer.probe.identity);
  const { threshold, measuredFar } = thresholdForFar(
    answers.flatMap((answer) => (answer.stranger ? [answer.stranger.distance] : [])),
    targetFar,
  );
  const total = probes.length + missed;
  return {
    people: people.size,
    probes: probes.length,
    missed,
    galleryPhotos: gallery.length,
    top1: total === 0 ? Number.NaN : correct.length / total,
    tarAtFar:
      total === 0 || measuredFar === null
        ? Number.NaN
        : correct.filter((answer) => (answer.found?.distance ?? Number.POSITIVE_INFINITY) <= threshold)
            .length / total,
    threshold,
    measuredFar,
  };
}

/** Mean and sample standard deviation of the finite values (NaN when there are none). */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { mean: Number.NaN, sd: Number.NaN };
  const mean = finite.reduce((sum, value) => sum + value, 0) / finite.length;
  const variance =
    finite.length < 2 ? 0 : finite.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (finite.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}
