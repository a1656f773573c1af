// Route header propagation in a service's source: which outbound HTTP calls made while handling a
// request do not pass `x-devlane-route` and `baggage` on, said the way the editor shows it.
import { javascriptCalls } from './javascript';
import { pythonCalls } from './python';
import { instrumentedLibraries } from './instrumented';
import { routeHeaders } from './tree';
import type { Library, OutboundCall, SourceLanguage } from './types';

export { instrumentedLibraries } from './instrumented';
export type { Edit, Library, OutboundCall, SourceLanguage } from './types';

/** The language of a file by its name, for the files the check reads. */
export function languageOf(fileName: string): SourceLanguage | undefined {
  if (/\.py$/.test(fileName)) return 'python';
  if (/\.(m|c)?jsx?$/.test(fileName)) return 'javascript';
  if (/\.(m|c)?tsx?$/.test(fileName) && !/\.d\.(m|c)?ts$/.test(fileName)) return 'typescript';
  return undefined;
}

/**
 * Every outbound HTTP call the check recognises in `text`, made inside a function. Calls of the
 * `instrumented` libraries (OpenTelemetry instruments them in this service, see instrumented.ts;
 * the file's own setup counts too) pass the W3C baggage on.
 */
export function outboundCalls(
  text: string,
  language: SourceLanguage,
  instrumented: readonly Library[] = [],
): OutboundCall[] {
  const libraries = new Set([...instrumented, ...instrumentedLibraries(text, language)]);
  return language === 'python'
    ? pythonCalls(text, libraries)
    : javascriptCalls(text, language === 'typescript', libraries);
}

export interface PropagationProblem {
  call: OutboundCall;
  /** `error` for a call made while handling a request; `info` where no incoming request is in reach. */
  severity: 'error' | 'info';
  message: string;
}

/**
 * The calls that lose the route key: no route headers, or route headers only behind a condition
 * that is not about the incoming request. `service` names the file's service, `target` the one
 * a trace saw it call without the key, when known.
 */
export function propagationProblems(
  text: string,
  language: SourceLanguage,
  service?: string,
  target?: string,
  instrumented: readonly Library[] = [],
): PropagationProblem[] {
  const who = service ?? 'This service';
  const whom = target ?? 'another service';
  return outboundCalls(text, language, instrumented).flatMap((call): PropagationProblem[] => {
    const f = call.forwarding;
    if (f.kind === 'forwards') return [];
    const why =
      f.kind === 'conditional'
        ? `passes them on only depending on \`${f.condition}\``
        : `does not pass the route headers (${routeHeaders.join(', ')}) on`;
    if (!call.inRequest)
      return [
        {
          call,
          severity: 'info',
          message: `${call.callee}(…) ${why}. No incoming request is in reach here, so this may run outside request handling; if it serves a request, requests from a session lose their key at this hop.`,
        },
      ];
    return [
      {
        call,
        severity: 'error',
        message: `${who} calls ${whom} here without the route headers: ${call.callee}(…) ${why}, so requests from the session lose their key at this hop.`,
      },
    ];
  });
}
