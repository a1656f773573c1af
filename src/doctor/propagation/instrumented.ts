// Client libraries OpenTelemetry instruments in a service: their calls carry the W3C `baggage`
// (and trace context) of the request being handled without any code at the call. Read from the
// setup code (often a file of its own, such as tracing.js or telemetry.py), so the editor
// looks at every file of a service before it judges one.
import type { Library, SourceLanguage } from './types';

const setups: { pattern: RegExp; libraries: Library[] }[] = [
  { pattern: /\bRequestsInstrumentor\b/, libraries: ['requests'] },
  { pattern: /\bHTTPXClientInstrumentor\b/, libraries: ['httpx'] },
  { pattern: /\bURLLibInstrumentor\b/, libraries: ['urllib'] },
  // Node: http instrumentation patches http and https, which axios uses; undici's patches fetch.
  { pattern: /\bHttpInstrumentation\b|@opentelemetry\/instrumentation-http\b/, libraries: ['http', 'https', 'axios'] },
  { pattern: /\bUndiciInstrumentation\b|@opentelemetry\/instrumentation-undici\b/, libraries: ['fetch'] },
  {
    pattern: /\bgetNodeAutoInstrumentations\b|@opentelemetry\/auto-instrumentations-node\b/,
    libraries: ['http', 'https', 'axios', 'fetch'],
  },
];

/** The libraries whose instrumentation `text` sets up (a plain text search: cheap enough for every file). */
export function instrumentedLibraries(text: string, language: SourceLanguage): Library[] {
  const python = language === 'python';
  return setups
    .filter((s) => s.libraries.some((l) => ['requests', 'httpx', 'urllib'].includes(l) === python))
    .filter((s) => s.pattern.test(text))
    .flatMap((s) => s.libraries);
}
