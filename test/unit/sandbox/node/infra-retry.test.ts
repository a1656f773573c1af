import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVanishedMount } from '../../../../sandbox/node/infra';

describe("the pod infra's start", () => {
  it('tries again only when bwrap lost a mount that went away while it bound the host', () => {
    const failed = (stderr: string) => `the pod's network namespace could not be created: bwrap failed: ${stderr}`;
    assert.equal(
      isVanishedMount(
        failed(
          "bwrap: Can't bind mount /oldroot/work/main/.devlane/cluster/state/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs on /newroot/work/main/.devlane/cluster/state/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs: No such file or directory",
        ),
      ),
      true,
    );
    assert.equal(
      isVanishedMount(failed('bwrap: Creating new namespace failed: Operation not permitted')),
      false,
      'a lasting failure is reported at once',
    );
    assert.equal(isVanishedMount("the pod's infra process exited at start: No such file or directory"), false);
  });
});
