// Splitting identities and drawing balanced similar / dissimilar pairs, as pure functions.
import { shuffled } from '@faceshot/core/seeded-random';

export type SplitName = 'train' | 'validation' | 'test';

export interface IdentitySplit {
  train: string[];
  validation: string[];
  test: string[];
}

/**
 * Splits by identity, so test people are never trained on (honest one-shot numbers). At least two
 * identities stay in train (dissimilar pairs need two people); small sets get smaller held-out splits.
 */
export function splitIdentities(
  identities: readonly string[],
  shares: { validation: number; test: number },
  random: () => number,
): IdentitySplit {
  const order = shuffled([...identities].sort(), random);
  const spare = Math.max(0, order.length - 2);
  const test = Math.min(spare, Math.round(order.length * shares.test));
  const validation = Math.min(spare - test, Math.round(order.length * shares.validation));
  return {
    test: order.slice(0, test),
    validation: order.slice(test, test + validation),
    train: order.slice(test + validation),
  };
}

export interface Pair {
  a: string;
  b: string;
  /** 1 = the same person, 0 = different people. */
  same: 0 | 1;
}

/** Up to `perClass` similar and as many dissimilar pairs (balanced), shuffled together. */
export function drawPairs(
  facesByIdentity: ReadonlyMap<string, readonly string[]>,
  identities: readonly string[],
  perClass: number,
  random: () => number,
): Pair[] {
  const people = identities.filter((identity) => (facesByIdentity.get(identity)?.length ?? 0) > 0);
  const similarAll: Pair[] = [];
  for (const identity of people) {
    const faces = facesByIdentity.get(identity) ?? [];
    for (let i = 0; i < faces.length; i++) {
      for (let j = i + 1; j < faces.length; j++)
        similarAll.push({ a: faces[i] as string, b: faces[j] as string, same: 1 });
    }
  }
  const similar = shuffled(similarAll, random).slice(0, perClass);
  const dissimilar: Pair[] = [];
  if (people.length >= 2) {
    const seen = new Set<string>();
    const target = similar.length;
    // Random draws without repeats; give up after enough misses (tiny sets have few distinct pairs).
    for (let attempts = 0; dissimilar.length < target && attempts < target * 50; attempts++) {
      const first = people[Math.floor(random() * people.length)] as string;
      let second = people[Math.floor(random() * (people.length - 1))] as string;
      if (second === first) second = people[people.length - 1] as string;
      const facesA = facesByIdentity.get(first) ?? [];
      const facesB = facesByIdentity.get(second) ?? [];
      const a = facesA[Math.floor(random() * facesA.length)] as string;
      const b = facesB[Math.floor(random() * facesB.length)] as string;
      const key = a < b ? `${a}|${b}` : `${b}|${a}`;
      if (seen.has(key)) continue;
      seen.add(key);
      dissimilar.push({ a, b, same: 0 });
    }
  }
  // Balanced: as many of each class.
  const count = Math.min(similar.length, dissimilar.length);
  return shuffled([...similar.slice(0, count), ...dissimilar.slice(0, count)], random);
}

/** Photos held out per person by default: protocol (b)'s probes (the seed-faces acceptance holds out 5). */
export const DEFAULT_HELD_OUT_PHOTOS = 5;

/**
 * The photos of each person held out of training and of the gallery: a seeded choice of `perPerson`
 * among their usable faces and their photos without a usable face (those count as misses), at most
 * half of them so that training keeps the rest.
 */
export function chooseHeldOut(
  photosByIdentity: ReadonlyMap<string, { faces: readonly string[]; missed: readonly string[] }>,
  perPerson: number,
  random: () => number,
): Map<string, { faces: string[]; missed: string[] }> {
  const chosen = new Map<string, { faces: string[]; missed: string[] }>();
  for (const identity of [...photosByIdentity.keys()].sort()) {
    const { faces, missed } = photosByIdentity.get(identity) ?? { faces: [], missed: [] };
    const all = [
      ...faces.map((id) => ({ id, missed: false })),
      ...missed.map((id) => ({ id, missed: true })),
    ];
    const count = Math.min(perPerson, Math.floor(all.length / 2));
    const picked = shuffled(
      all.sort((a, b) => a.id.localeCompare(b.id)),
      random,
    ).slice(0, count);
    chosen.set(identity, {
      faces: picked.filter((photo) => !photo.missed).map((photo) => photo.id),
      missed: picked.filter((photo) => photo.missed).map((photo) => photo.id),
    });
  }
  return chosen;
}
