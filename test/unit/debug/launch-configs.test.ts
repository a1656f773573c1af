// "Create a launch.json file" for the devlane type: one configuration per service you can debug.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childSessionName, initialLaunchConfigs } from '../../../src/debug/launch-configs';

describe('initial launch configurations', () => {
  it('offers the active session’s services first, then the other services .vscode/devlane.json maps', () => {
    const configs = initialLaunchConfigs({
      sessionServices: ['ratings'],
      configServices: ['web', 'catalog', 'ratings'],
    });
    assert.deepEqual(configs, [
      { type: 'devlane', request: 'attach', name: 'Devlane: debug ratings', service: 'ratings' },
      { type: 'devlane', request: 'attach', name: 'Devlane: debug catalog', service: 'catalog' },
      { type: 'devlane', request: 'attach', name: 'Devlane: debug web', service: 'web' },
    ]);
  });

  it('never invents a service: without a session or a config, the configuration names none and asks when started', () => {
    const configs = initialLaunchConfigs({ sessionServices: [], configServices: [] });
    assert.deepEqual(configs, [
      { type: 'devlane', request: 'attach', name: 'Devlane: debug a service of the active session' },
    ]);
    assert.ok(!JSON.stringify(configs).includes('my-service'));
  });

  it('names the debugger’s own session apart from its parent, so the editor adds no number to it', () => {
    assert.equal(
      childSessionName('Devlane: debug ratings', 'Node.js inspector'),
      'Devlane: debug ratings (Node.js inspector)',
    );
    assert.notEqual(childSessionName('x', 'Node.js inspector'), 'x');
  });
});
