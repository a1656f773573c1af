// What a request is about, decided from its path and method the way apiserver's
// RequestInfoFactory does: API group/version, namespace, resource, name, subresource and the
// authorization verb. Non-resource paths (/version, /healthz, /openapi/...) keep their path.

export interface RequestInfo {
  resourceRequest: boolean;
  path: string;
  verb: string; // get list watch create update patch delete deletecollection, or the lowercase HTTP method for non-resource paths
  apiPrefix?: 'api' | 'apis';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments that could not be placed (a malformed resource path): answered 404. */
  extra: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    resourceRequest: false,
    path,
    verb: method.toLowerCase(),
    group: '',
    version: '',
    resource: '',
    subresource: '',
    name: '',
    extra: [],
  };
  const parts = path
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  info.apiPrefix = parts[0];
  let rest = parts.slice(1);
  if (info.apiPrefix === 'apis') {
    if (rest.length < 2) return info; // /apis, /apis/group: discovery
    info.group = rest[0];
    rest = rest.slice(1);
  } else if (rest.length < 1) return info;
  info.version = rest[0];
  rest = rest.slice(1);
  if (rest.length === 0) return info; // group-version discovery
  info.resourceRequest = true;
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length > 1) {
    info.namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  info.resource = rest[0] ?? '';
  info.name = rest[1] ?? '';
  info.subresource = rest[2] ?? '';
  info.extra = rest.slice(3);
  if (info.resource === 'namespaces' && !info.name && info.namespace) info.name = info.namespace;

  const watchParam = query.get('watch');
  const watching = watchPrefix || watchParam === 'true' || watchParam === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      info.verb = info.name ? (watching ? 'watch' : 'get') : watching ? 'watch' : 'list';
      if (info.subresource) info.verb = 'get';
      break;
    case 'POST':
      info.verb = 'create';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
    default:
      info.verb = method.toLowerCase();
  }
  return info;
}
