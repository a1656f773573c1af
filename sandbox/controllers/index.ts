// kube-controller-manager for the sandbox: one set of informers shared by the Deployment,
// ReplicaSet, Endpoints/EndpointSlice and ServiceAccount controllers and the root CA publisher, each
// with its own work queue, and the persistent-volume controller (which only reports that claims
// cannot be bound).

import type { Api } from '../core/types';
import { DeploymentController } from './deployment';
import { EndpointsController } from './endpoints';
import { Informer } from './informer';
import { PersistentVolumeController } from './persistentvolume';
import { ReplicaSetController } from './replicaset';
import { RootCaPublisher } from './rootca';
import { KubernetesServiceController, ServiceAccountController, type ApiServerAddress } from './serviceaccount';

export interface ControllerOptions {
  /** Where pods reach the API server; when given, `default/kubernetes` gets Endpoints pointing there. */
  apiserver?: ApiServerAddress;
  /** The API server's CA (PEM); when given, every namespace gets it in a `kube-root-ca.crt` ConfigMap. */
  caCertPem?: string;
  /** Where sync failures are reported (default: stderr). */
  log?: (message: string) => void;
}

export function startControllers(api: Api, opts: ControllerOptions = {}): { stop(): void } {
  const log = opts.log ?? ((m: string) => process.stderr.write(`controllers: ${m}\n`));
  const onError = (e: unknown) => log(`informer: ${e instanceof Error ? e.message : String(e)}`);
  const inf = (key: string) => new Informer(api, key, onError);
  const pods = inf('pods');
  const replicaSets = inf('replicasets.apps');
  const deployments = inf('deployments.apps');
  const services = inf('services');
  const endpoints = inf('endpoints');
  const slices = inf('endpointslices.discovery.k8s.io');
  const namespaces = inf('namespaces');
  const serviceAccounts = inf('serviceaccounts');
  const claims = inf('persistentvolumeclaims');
  const configMaps = opts.caCertPem ? [inf('configmaps')] : [];

  const controllers = [
    new ReplicaSetController(api, replicaSets, pods, log),
    new DeploymentController(api, deployments, replicaSets, pods, log),
    new EndpointsController(api, services, pods, endpoints, slices, log),
    new ServiceAccountController(api, namespaces, serviceAccounts, log),
    new KubernetesServiceController(api, opts.apiserver, services, endpoints, namespaces, log),
    ...configMaps.map((c) => new RootCaPublisher(api, opts.caCertPem!, namespaces, c, log)),
  ];
  // No work queue: it only records one event per claim.
  new PersistentVolumeController(api, claims, log);
  const informers = [
    pods,
    replicaSets,
    deployments,
    services,
    endpoints,
    slices,
    namespaces,
    serviceAccounts,
    claims,
    ...configMaps,
  ];
  for (const i of informers) i.start();
  return {
    stop() {
      for (const i of informers) i.stop();
      for (const c of controllers) c.queue.stop();
    },
  };
}
