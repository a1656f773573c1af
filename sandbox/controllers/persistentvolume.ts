// The persistent-volume controller of a cluster without storage: the sandbox has no
// PersistentVolumes, no StorageClasses and no provisioner, so a claim is never bound. It stays
// Pending (as the API server created it) and gets the event kube-controller-manager records for
// an unbindable claim, saying why, once per claim.

import type { Api, KObject } from '../core/types';
import type { Informer } from './informer';

const COMPONENT = 'persistentvolume-controller';

export class PersistentVolumeController {
  private readonly reported = new Set<string>();

  constructor(
    private readonly api: Api,
    claims: Informer,
    private readonly log: (m: string) => void,
  ) {
    claims.on((type, claim) => {
      if (type === 'DELETED') this.reported.delete(claim.metadata.uid!);
      else this.sync(claim);
    });
  }

  private sync(claim: KObject): void {
    const uid = claim.metadata.uid!;
    if (this.reported.has(uid) || claim.metadata.deletionTimestamp || claim.status?.phase !== 'Pending') return;
    this.reported.add(uid);
    const sc: string | undefined = claim.spec?.storageClassName;
    try {
      if (claim.spec?.volumeName) {
        this.api.event(
          claim,
          'Warning',
          'FailedBinding',
          `volume "${claim.spec.volumeName}" not found: the sandbox has no PersistentVolumes and no storage provisioner; the claim stays Pending`,
          COMPONENT,
        );
      } else if (sc) {
        this.api.event(
          claim,
          'Warning',
          'ProvisioningFailed',
          `storageclass.storage.k8s.io "${sc}" not found: the sandbox has no StorageClasses and no storage provisioner; the claim stays Pending`,
          COMPONENT,
        );
      } else {
        this.api.event(
          claim,
          'Normal',
          'FailedBinding',
          'no persistent volumes available for this claim and no storage class is set: the sandbox has no PersistentVolumes and no storage provisioner; the claim stays Pending',
          COMPONENT,
        );
      }
    } catch (e) {
      this.log(
        `persistentvolume: event for ${claim.metadata.namespace}/${claim.metadata.name}: ${(e as Error).message}`,
      );
    }
  }
}
