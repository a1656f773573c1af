// Tabs and terminals of two sessions with the same name in two namespaces must be told apart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyLogsTitle, panelTitle } from '../../../src/sessionview/refs';

const inShop = { context: 'dev', namespace: 'shop', session: 'alice-ratings' };
const inPlain = { context: 'dev', namespace: 'shop-plain', session: 'alice-ratings' };

describe('session titles', () => {
  it('name the namespace, so two sessions of the same name get different panel tabs', () => {
    assert.equal(panelTitle(inShop), 'Session alice-ratings · shop');
    assert.notEqual(panelTitle(inShop), panelTitle(inPlain));
  });

  it('name the namespace in the copy’s log terminal too', () => {
    assert.equal(copyLogsTitle('ratings', inShop), 'ratings (copy, session alice-ratings · shop)');
    assert.notEqual(copyLogsTitle('ratings', inShop), copyLogsTitle('ratings', inPlain));
  });
});
