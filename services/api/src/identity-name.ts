// A person's name from a request, checked the way storage keys need it (400 with the reason if not).
import { assertValidIdentity, InvalidKeyError } from '@faceshot/core/storage/keys';
import { HttpProblem } from './problem.js';

export function identityOr400(identity: string): string {
  try {
    assertValidIdentity(identity);
  } catch (error) {
    if (error instanceof InvalidKeyError) throw new HttpProblem(400, error.message);
    throw error;
  }
  return identity;
}
