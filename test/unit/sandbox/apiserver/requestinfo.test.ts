import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestInfo } from '../../../../sandbox/apiserver/requestinfo';
import { fieldPath } from '../../../../sandbox/apiserver/admission/fielderrors';

const ri = (method: string, url: string) => {
  const u = new URL(url, 'https://x');
  const r = requestInfo(method, u.pathname, u.searchParams);
  return `${r.verb} ${r.group}/${r.version} ns=${r.namespace ?? ''} ${r.resource}/${r.name}/${r.subresource}`;
};

describe('request info', () => {
  it('reads verbs, groups, namespaces, names and subresources from the path', () => {
    assert.equal(ri('GET', '/api/v1/namespaces/a/pods'), 'list /v1 ns=a pods//');
    assert.equal(ri('GET', '/api/v1/namespaces/a/pods?watch=1'), 'watch /v1 ns=a pods//');
    assert.equal(ri('GET', '/api/v1/watch/namespaces/a/pods'), 'watch /v1 ns=a pods//');
    assert.equal(
      ri('GET', '/apis/apps/v1/namespaces/a/deployments/web/scale'),
      'get apps/v1 ns=a deployments/web/scale',
    );
    assert.equal(ri('PATCH', '/apis/apps/v1/namespaces/a/deployments/web'), 'patch apps/v1 ns=a deployments/web/');
    assert.equal(ri('DELETE', '/api/v1/namespaces/a/configmaps'), 'deletecollection /v1 ns=a configmaps//');
    assert.equal(ri('GET', '/api/v1/namespaces/a'), 'get /v1 ns=a namespaces/a/');
    assert.equal(ri('PUT', '/api/v1/namespaces/a/finalize'), 'update /v1 ns=a namespaces/a/finalize');
    assert.equal(ri('POST', '/api/v1/namespaces/a/pods/p/exec'), 'create /v1 ns=a pods/p/exec');
    assert.equal(ri('GET', '/api/v1/nodes'), 'list /v1 ns= nodes//');
  });

  it('leaves discovery and other paths as non-resource requests', () => {
    for (const p of ['/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/version', '/openapi/v3']) {
      assert.equal(requestInfo('GET', p, new URLSearchParams()).resourceRequest, false, p);
    }
  });
});

describe('field paths of schema errors', () => {
  it('turns JSON pointers into Kubernetes field paths', () => {
    assert.equal(fieldPath('/spec/replicas'), 'spec.replicas');
    assert.equal(fieldPath('/spec/template/spec/containers/0/image'), 'spec.template.spec.containers[0].image');
    assert.equal(fieldPath('/metadata/labels/app.kubernetes.io~1name'), 'metadata.labels[app.kubernetes.io/name]');
  });
});
