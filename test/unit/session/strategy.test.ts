// Which routing strategy `auto` picks. A VirtualService routes only through sidecars, so the pods
// decide: a namespace labelled for injection whose pods have no sidecar (istiod not running, or
// the injector failed, as on the real test cluster) must get the router, or routed requests would
// silently reach the original.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ObjectApi } from '../../../src/cluster/api';
import { chooseStrategy } from '../../../src/session/planner';
import { namespace, pod } from '../../fakes/objects';

function api(o: { istio: boolean; labels?: Record<string, string> }): ObjectApi {
  const ns = { ...namespace('shop'), metadata: { name: 'shop', labels: o.labels ?? {} } };
  return { serves: async () => o.istio, get: async () => ns } as unknown as ObjectApi;
}
const signal = new AbortController().signal;
const meshed = {
  ...pod('web-1'),
  metadata: { ...pod('web-1').metadata, annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } },
};
const injected = { 'istio-injection': 'enabled' };

describe('choosing a routing strategy', () => {
  it('takes Istio when the pods have sidecars', async () => {
    assert.equal(
      (await chooseStrategy(api({ istio: true, labels: injected }), 'shop', [meshed], undefined, signal)).strategy,
      'istio',
    );
  });
  it('takes the router when the namespace is labelled for injection but its pods have no sidecar, and says why', async () => {
    const c = await chooseStrategy(api({ istio: true, labels: injected }), 'shop', [pod('web-1')], undefined, signal);
    assert.equal(c.strategy, 'router');
    assert.match(c.reason, /labelled for Istio injection, but its pods have no sidecar/);
  });
  it('trusts the label while there are no pods to look at', async () => {
    assert.equal(
      (await chooseStrategy(api({ istio: true, labels: injected }), 'shop', [], undefined, signal)).strategy,
      'istio',
    );
  });
  it('takes the router where Istio is not served or the namespace is not in the mesh', async () => {
    assert.equal(
      (await chooseStrategy(api({ istio: false, labels: injected }), 'shop', [meshed], undefined, signal)).strategy,
      'router',
    );
    assert.equal(
      (await chooseStrategy(api({ istio: true }), 'shop', [pod('web-1')], undefined, signal)).strategy,
      'router',
    );
  });
  it('says a strategy was asked for in words that fit the CLI (--strategy) and the editor (the setting) alike', async () => {
    const c = await chooseStrategy(api({ istio: true }), 'shop', [pod('web-1')], 'istio', signal);
    assert.equal(c.strategy, 'istio');
    assert.equal(c.reason, 'asked for, not chosen automatically');
  });
});
