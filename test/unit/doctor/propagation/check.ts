// Shared by the propagation tests: what the check says about each call of a snippet, and the
// snippet with a call's fix applied.
import { execFileSync } from 'node:child_process';
import { Script } from 'node:vm';
import { parser } from '@lezer/javascript';
import { outboundCalls, type SourceLanguage } from '../../../../src/doctor/propagation/index';

export interface Said {
  callee: string;
  kind: 'forwards' | 'conditional' | 'missing';
  inRequest: boolean;
  fixable: boolean;
}

export const said = (src: string, lang: SourceLanguage): Said[] =>
  outboundCalls(src, lang).map((c) => ({
    callee: c.callee,
    kind: c.forwarding.kind,
    inRequest: c.inRequest,
    fixable: !!c.fix,
  }));

/** Every call's fix (explicit forwarding, or OpenTelemetry's) applied, one at a time from the end of the file. */
export function fixAll(src: string, lang: SourceLanguage, how: 'fix' | 'otelFix' = 'fix'): string {
  return outboundCalls(src, lang)
    .flatMap((c) => (c[how] ? [c[how]] : []))
    .sort((a, b) => b.from - a.from)
    .reduce((text, e) => text.slice(0, e.from) + e.insert + text.slice(e.to), src);
}

/** Syntax errors Python's own parser finds in `src` (empty when it parses). */
export function pythonSyntaxErrors(src: string): string {
  return execFileSync(
    'python3',
    ['-c', 'import ast,sys\ntry: ast.parse(sys.stdin.read())\nexcept SyntaxError as e: print(e)'],
    {
      input: src,
      encoding: 'utf8',
    },
  ).trim();
}

/** Syntax errors in `src`: Node's own compiler for JavaScript; for TypeScript, Lezer's error nodes. */
export function scriptSyntaxErrors(src: string, lang: SourceLanguage): string {
  if (lang === 'javascript') {
    try {
      new Script(`(async () => {\n${src}\n})`);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  }
  const errors: string[] = [];
  parser
    .configure({ dialect: 'ts' })
    .parse(src)
    .iterate({
      enter: (n) =>
        void (n.type.isError && errors.push(`syntax error at ${n.from}: ${src.slice(n.from, n.from + 30)}`)),
    });
  return errors.join('\n');
}
