// `faceshot eval`'s two protocols over a folder, the same for every model:
//  (a) unseen people: the folder's people that no trained model under evaluation trained on (its card
//      names them), one-shot identification, verification, open-set TAR at the target FAR;
//  (b) held-out photos: per person, the photos a trained model's card lists as held out (when the
//      folder is its dataset), else a seeded `heldOut` photos each (at most half); the rest is the
//      gallery (the same for every model); photos without a face count as errors.
import type { ServingCard } from '@faceshot/core/contracts/model-card';
import { seededRandom, shuffled } from '@faceshot/core/seeded-random';
import {
  type HeldOutFigures,
  heldOutFigures,
  type Labelled,
  openSetIdentification,
} from '@faceshot/vision/evaluation/recognition-metrics';
import type { EvalFace } from './eval-faces.js';

export interface HeldOutPlan {
  /** Where the held-out photos came from. */
  source: 'model cards' | 'seeded choice';
  people: number;
  /** Indexes into the faces: probes and gallery. */
  probes: number[];
  gallery: number[];
  /** Held-out photos without a face. */
  missed: number;
}

/** The people a trained model was trained on (its card's train and validation people). */
export function trainedPeople(cards: readonly ServingCard[]): Set<string> {
  return new Set(cards.flatMap((card) => [...(card.split?.train ?? []), ...(card.split?.validation ?? [])]));
}

export function planHeldOut(
  faces: readonly EvalFace[],
  noFaceSha256: ReadonlyMap<string, string>,
  cards: readonly ServingCard[],
  perPerson: number,
  seed: number,
): HeldOutPlan {
  const listed = new Set(cards.flatMap((card) => Object.values(card.heldOut ?? {}).flat()));
  if (listed.size > 0) {
    const probes = faces.flatMap((face, index) => (listed.has(face.sha256) ? [index] : []));
    const people = new Set(probes.map((index) => faces[index]?.identity));
    return {
      source: 'model cards',
      people: people.size,
      probes,
      gallery: faces.flatMap((face, index) =>
        people.has(face.identity) && !listed.has(face.sha256) ? [index] : [],
      ),
      missed: [...noFaceSha256.keys()].filter((sha256) => listed.has(sha256)).length,
    };
  }
  const random = seededRandom(seed);
  const byPerson = new Map<string, (number | 'missed')[]>();
  for (const [index, face] of faces.entries())
    byPerson.set(face.identity, [...(byPerson.get(face.identity) ?? []), index]);
  for (const photo of noFaceSha256.values()) {
    const identity = photo.split('/')[0] ?? '';
    byPerson.set(identity, [...(byPerson.get(identity) ?? []), 'missed']);
  }
  const plan: HeldOutPlan = { source: 'seeded choice', people: 0, probes: [], gallery: [], missed: 0 };
  for (const identity of [...byPerson.keys()].sort()) {
    const photos = shuffled(byPerson.get(identity) ?? [], random);
    const count = Math.min(perPerson, Math.floor(photos.length / 2));
    const rest = photos.slice(count).filter((entry): entry is number => entry !== 'missed');
    if (count === 0 || rest.length === 0) continue;
    plan.people++;
    for (const entry of photos.slice(0, count)) {
      if (entry === 'missed') plan.missed++;
      else plan.probes.push(entry);
    }
    plan.gallery.push(...rest);
  }
  return plan;
}

export interface ProtocolFigures {
  /** (a): open-set TAR at the target FAR on the unseen people. */
  unseenTarAtFar: number | null;
  /** (b): null when no person has photos to hold out. */
  heldOut: HeldOutFigures | null;
}

const finite = (value: number) => (Number.isFinite(value) ? value : null);

export function protocolFigures(
  embeddings: readonly (readonly number[])[],
  faces: readonly EvalFace[],
  unseen: readonly number[],
  plan: HeldOutPlan,
  options: { targetFar: number; seed: number },
): ProtocolFigures {
  const byIdentity = new Map<string, (readonly number[])[]>();
  for (const index of unseen) {
    const face = faces[index] as EvalFace;
    byIdentity.set(face.identity, [...(byIdentity.get(face.identity) ?? []), embeddings[index] ?? []]);
  }
  const labelled = (indexes: readonly number[]): Labelled[] =>
    indexes.map((index) => ({ identity: faces[index]?.identity ?? '', embedding: embeddings[index] ?? [] }));
  return {
    unseenTarAtFar: finite(openSetIdentification(byIdentity, options).tar),
    heldOut:
      plan.people === 0
        ? null
        : heldOutFigures(labelled(plan.gallery), labelled(plan.probes), plan.missed, options.targetFar),
  };
}
