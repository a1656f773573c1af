import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { whereDevlaneWorks, type WhereKubeconfig, type WherePrefs } from '../../../src/core/where';

const kubeconfig: WhereKubeconfig = {
  contexts: [
    { name: 'dev', namespace: 'shop' },
    { name: 'staging', namespace: 'default' },
  ],
  currentContext: 'dev',
};

function prefs(active?: string, namespaces: Record<string, string> = {}): WherePrefs {
  return { activeContext: () => active, defaultNamespace: (context) => namespaces[context] };
}

describe('where Devlane works', () => {
  it('the context and namespace given (a row, a launch configuration) win over everything', () => {
    assert.deepEqual(
      whereDevlaneWorks(prefs('staging', { dev: 'picked' }), kubeconfig, { context: 'dev', namespace: 'given' }),
      { context: 'dev', namespace: 'given' },
    );
  });

  it('a given context is used even when the kubeconfig does not have it (connecting then says what is wrong)', () => {
    assert.deepEqual(whereDevlaneWorks(prefs('staging'), kubeconfig, { context: 'gone' }), {
      context: 'gone',
      namespace: 'default',
    });
  });

  it("the context picked in Devlane comes before the kubeconfig's current-context", () => {
    assert.equal(whereDevlaneWorks(prefs('staging'), kubeconfig)?.context, 'staging');
  });

  it('a picked context the kubeconfig no longer has falls back to the current-context', () => {
    assert.equal(whereDevlaneWorks(prefs('removed'), kubeconfig)?.context, 'dev');
  });

  it("nothing picked: the kubeconfig's current-context", () => {
    assert.equal(whereDevlaneWorks(prefs(), kubeconfig)?.context, 'dev');
  });

  it('no context given, picked or current: nowhere', () => {
    assert.equal(whereDevlaneWorks(prefs(), { ...kubeconfig, currentContext: undefined }), undefined);
    assert.equal(whereDevlaneWorks(prefs('removed'), { ...kubeconfig, currentContext: undefined }), undefined);
    assert.equal(
      whereDevlaneWorks(prefs(), { contexts: [], currentContext: undefined }, { namespace: 'shop' }),
      undefined,
    );
  });

  it('namespace: the one picked for that context, before the one its kubeconfig entry names', () => {
    assert.deepEqual(whereDevlaneWorks(prefs(undefined, { dev: 'picked', staging: 'other' }), kubeconfig), {
      context: 'dev',
      namespace: 'picked',
    });
  });

  it("namespace: none picked, the one the kubeconfig's context names", () => {
    assert.deepEqual(whereDevlaneWorks(prefs(undefined, { staging: 'other' }), kubeconfig), {
      context: 'dev',
      namespace: 'shop',
    });
  });

  it('namespace: a given one is kept with the context found by the fallback', () => {
    assert.deepEqual(whereDevlaneWorks(prefs('staging', { staging: 'picked' }), kubeconfig, { namespace: 'given' }), {
      context: 'staging',
      namespace: 'given',
    });
  });
});
