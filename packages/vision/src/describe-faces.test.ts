// How far a photo is extended before its faces are described: enough for each box's context.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextBorder } from './describe-faces.js';

describe('the border faces are described with', () => {
  it('is none when every box and its context lie inside the photo', () => {
    // A 100 px face in the middle of a 250 px photo (LFW): 150 px of context fit.
    assert.equal(contextBorder([{ x: 75, y: 75, width: 100, height: 100 }], 250, 250), 0);
    assert.equal(contextBorder([], 250, 250), 0);
  });

  it('reaches as far as the context of the box furthest out', () => {
    // A face filling a 160 px crop: its 240 px context reaches 40 px past every side.
    assert.equal(contextBorder([{ x: 0, y: 0, width: 160, height: 160 }], 160, 160), 40);
    // A box past the right edge: its 90 px context (centre 195) ends 90 px beyond the 150 px photo.
    assert.equal(
      contextBorder(
        [
          { x: 10, y: 10, width: 20, height: 20 },
          { x: 165, y: 50, width: 60, height: 40 },
        ],
        150,
        200,
      ),
      90,
    );
  });

  it('is at most half the photo’s longer side', () => {
    assert.equal(contextBorder([{ x: -500, y: -500, width: 2000, height: 2000 }], 100, 80), 50);
  });
});
