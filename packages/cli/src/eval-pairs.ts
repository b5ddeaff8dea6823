// Verification pairs for an evaluation: same-person pairs (all of them, or a seeded sample when there
// are more than the cap) and as many seeded random different-person pairs. Pairs are indices into the
// face list, drawn once, so every model is scored on the same pairs.
import { seededRandom } from '@faceshot/core/seeded-random';

export interface IndexPair {
  a: number;
  b: number;
  same: boolean;
}

/** Draws of a different-person pair per pair wanted before giving up (tiny or one-person folders). */
const ATTEMPTS_PER_PAIR = 50;

/** `identities[i]` is the person of face i. */
export function verificationPairs(
  identities: readonly string[],
  capPerClass: number,
  seed: number,
): IndexPair[] {
  const random = seededRandom(seed);
  const facesOf = new Map<string, number[]>();
  identities.forEach((identity, index) => {
    const faces = facesOf.get(identity) ?? [];
    faces.push(index);
    facesOf.set(identity, faces);
  });

  // Reservoir sampling: a uniform sample of the same-person pairs without listing them all (a person
  // with 500 photos alone has 125,000).
  const same: IndexPair[] = [];
  let seen = 0;
  for (const faces of facesOf.values()) {
    for (let i = 0; i < faces.length; i++) {
      for (let j = i + 1; j < faces.length; j++) {
        const pair = { a: faces[i] as number, b: faces[j] as number, same: true };
        if (same.length < capPerClass) same.push(pair);
        else {
          const slot = Math.floor(random() * (seen + 1));
          if (slot < capPerClass) same[slot] = pair;
        }
        seen++;
      }
    }
  }

  const different: IndexPair[] = [];
  const taken = new Set<string>();
  const wanted = same.length;
  for (let attempt = 0; different.length < wanted && attempt < wanted * ATTEMPTS_PER_PAIR; attempt++) {
    const a = Math.floor(random() * identities.length);
    const b = Math.floor(random() * identities.length);
    if (identities[a] === identities[b]) continue;
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (taken.has(key)) continue;
    taken.add(key);
    different.push({ a, b, same: false });
  }
  return [...same, ...different];
}
