// "Devlane route" diagnostics: outbound HTTP calls that do not pass the route headers on, shown in
// the source of the service a trace blamed (or on demand, for the active file or the workspace),
// with a quick fix that forwards the headers from the incoming request. The analysis itself is
// src/doctor/propagation/ (no vscode); this file only maps it onto documents.
import * as vscode from 'vscode';
import { commands } from '../../core/contributions';
import { Disposable } from '../../core/lifecycle';
import { baggageHeader, routeHeader } from '../../core/session/route-contract';
import type { Logger } from '../../core/logger';
import {
  type Edit,
  instrumentedLibraries,
  type Library,
  languageOf,
  outboundCalls,
  propagationProblems,
} from '../../doctor/propagation/index';
import { registerCommand } from '../vscode-utils';
import { serviceFolders, serviceOf } from './service-folders';

export const diagnosticSource = 'Devlane route';
export const explicitTitle = `Forward ${routeHeader} and ${baggageHeader} from the incoming request`;
export const otelTitle = "Propagate with OpenTelemetry's propagators (W3C baggage)";
const sourceFiles = '**/*.{py,js,cjs,mjs,jsx,ts,cts,mts,tsx}';
const notSource = '**/{node_modules,.venv,venv,__pycache__,dist,out,build,.git}/**';
const maxFiles = 2000;
/** How long typing must pause before a file with diagnostics is checked again (a large file takes a few hundred ms). */
const recheckDelayMs = 300;
const selector: vscode.DocumentSelector = [
  'python',
  'javascript',
  'typescript',
  'javascriptreact',
  'typescriptreact',
].map((language) => ({ language }));

/** Whom a file's diagnostics name: its service, and the one a trace saw it call without the key. */
interface Blame {
  service?: string;
  target?: string;
  /** The client libraries OpenTelemetry instruments in the service (set up in any of its files). */
  instrumented: Library[];
}

function instrumentation(texts: [vscode.Uri, string][]): Library[] {
  const all = texts.flatMap(([uri, text]) => {
    const language = languageOf(uri.path);
    return language ? instrumentedLibraries(text, language) : [];
  });
  return [...new Set(all)];
}

/** Offsets to positions, for text not open in an editor. */
function positions(text: string): (offset: number) => vscode.Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let line = starts.length - 1;
    while (starts[line] > offset) line--;
    return new vscode.Position(line, offset - starts[line]);
  };
}

export class RoutePropagation extends Disposable {
  private readonly collection = this._register(vscode.languages.createDiagnosticCollection(diagnosticSource));
  private readonly blame = new Map<string, Blame>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly logger: Logger) {
    super();
    this._register(registerCommand(commands.checkRoutePropagation, (uri) => this.checkOnDemand(uri), logger));
    this._register(
      vscode.languages.registerCodeActionsProvider(selector, new PropagationFixes(), {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
    // A file with diagnostics is checked again as it changes (once typing pauses), so they go once it is fixed.
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.recheckSoon(e.document)));
    this._register(vscode.workspace.onDidSaveTextDocument((d) => this.recheck(d)));
    this._register({ dispose: () => this.pending.forEach((t) => clearTimeout(t)) });
  }

  /**
   * After a trace found that `from` received the key but called `to` without it: checks the
   * source of `from` in the workspace and returns where its calls lose the key.
   */
  async traceBlamed(from: string, to: string): Promise<vscode.Location[]> {
    const folders = (await serviceFolders((e) => this.logger.warn(e.message))).filter((f) => f.service === from);
    if (!folders.length) {
      this.logger.info(
        `Route check: no workspace folder maps ${from} in .vscode/devlane.json, so its source was not checked`,
      );
      return [];
    }
    const found: vscode.Location[] = [];
    for (const f of folders) found.push(...(await this.checkFolder(f.uri, { service: from, target: to })));
    return found;
  }

  private async checkOnDemand(uri?: vscode.Uri): Promise<void> {
    const folders = await serviceFolders((e) => this.logger.warn(e.message));
    const active = vscode.window.activeTextEditor?.document.uri;
    const file = uri ?? (active && languageOf(active.path) ? active : undefined);
    const found: vscode.Location[] = [];
    let checked = 0;
    if (file) {
      const folder = serviceOf(folders, file);
      const service = await this.read(folder ? await this.filesUnder(folder.uri) : []);
      checked = 1;
      const blame = { service: folder?.service, instrumented: instrumentation(service) };
      found.push(...this.checkTexts(await this.read([file]), blame));
    } else {
      const roots = folders.length
        ? folders
        : (vscode.workspace.workspaceFolders ?? []).map((w) => ({ service: undefined, uri: w.uri }));
      for (const r of roots) {
        const files = await this.filesUnder(r.uri);
        checked += files.length;
        found.push(...(await this.checkFolder(r.uri, { service: r.service }, files)));
      }
    }
    const where = file ? vscode.workspace.asRelativePath(file) : `${checked} source file(s)`;
    if (!found.length) {
      void vscode.window.showInformationMessage(
        `Devlane: every outbound call it recognises in ${where} passes the route headers on.`,
      );
      return;
    }
    // Not awaited: the command is done when the file is checked, not when the message goes.
    const show = 'Show Problems';
    void vscode.window
      .showWarningMessage(
        `Devlane: ${found.length} outbound call(s) in ${where} do not pass the route headers on unconditionally.`,
        show,
      )
      .then((choice) => choice === show && vscode.commands.executeCommand('workbench.actions.view.problems'));
  }

  private async filesUnder(root: vscode.Uri): Promise<vscode.Uri[]> {
    return vscode.workspace.findFiles(new vscode.RelativePattern(root, sourceFiles), notSource, maxFiles);
  }

  /** Every source file of a service folder, judged with the instrumentation set up anywhere in it. */
  private async checkFolder(
    root: vscode.Uri,
    blame: Omit<Blame, 'instrumented'>,
    files?: vscode.Uri[],
  ): Promise<vscode.Location[]> {
    const texts = await this.read(files ?? (await this.filesUnder(root)));
    return this.checkTexts(texts, { ...blame, instrumented: instrumentation(texts) });
  }

  /** The files' text: as open in the editor, else as saved. */
  private async read(files: vscode.Uri[]): Promise<[vscode.Uri, string][]> {
    const out: [vscode.Uri, string][] = [];
    for (const uri of files) {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      try {
        out.push([uri, open?.getText() ?? new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))]);
      } catch (err) {
        this.logger.warn(`Route check: could not read ${uri.fsPath}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Sets the files' diagnostics and returns where the problems are. */
  private checkTexts(texts: [vscode.Uri, string][], blame: Blame): vscode.Location[] {
    const found: vscode.Location[] = [];
    for (const [uri, text] of texts) {
      this.blame.set(uri.toString(), blame);
      try {
        found.push(...this.diagnose(uri, text, blame).map((d) => new vscode.Location(uri, d.range)));
      } catch (err) {
        // One file the check cannot read does not stop the others.
        this.logger.warn(
          `Route check: could not check ${uri.fsPath}: ${(err as Error).message}; its diagnostics are unchanged`,
        );
      }
    }
    return found;
  }

  private diagnose(uri: vscode.Uri, text: string, blame: Blame): vscode.Diagnostic[] {
    const language = languageOf(uri.path);
    if (!language) return [];
    const at = positions(text);
    const diagnostics = propagationProblems(text, language, blame.service, blame.target, blame.instrumented).map(
      (p) => {
        const range = new vscode.Range(at(p.call.calleeFrom), at(p.call.calleeTo));
        const severity =
          p.severity === 'error' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
        const d = new vscode.Diagnostic(range, p.message, severity);
        d.source = diagnosticSource;
        d.code = 'route-propagation';
        return d;
      },
    );
    if (diagnostics.length) this.collection.set(uri, diagnostics);
    else {
      this.collection.delete(uri);
      this.blame.delete(uri.toString());
    }
    return diagnostics;
  }

  private recheckSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (!this.blame.has(key)) return;
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (!doc.isClosed) this.recheck(doc);
      }, recheckDelayMs),
    );
  }

  private recheck(doc: vscode.TextDocument): void {
    const blame = this.blame.get(doc.uri.toString());
    if (blame) this.diagnose(doc.uri, doc.getText(), blame);
  }
}

/** The quick fix on each "Devlane route" diagnostic: the edit the analysis computes for that call, on the text as it is now. */
class PropagationFixes implements vscode.CodeActionProvider {
  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === diagnosticSource);
    const language = languageOf(doc.uri.path);
    if (!ours.length || !language) return [];
    const actions: vscode.CodeAction[] = [];
    for (const call of outboundCalls(doc.getText(), language)) {
      const callee = new vscode.Range(doc.positionAt(call.calleeFrom), doc.positionAt(call.calleeTo));
      const diagnostic = ours.find((d) => d.range.isEqual(callee));
      if (!diagnostic) continue;
      const offer = (title: string, fix: Edit, preferred: boolean) => {
        const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [diagnostic];
        action.isPreferred = preferred;
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, new vscode.Range(doc.positionAt(fix.from), doc.positionAt(fix.to)), fix.insert);
        actions.push(action);
      };
      if (call.fix) offer(explicitTitle, call.fix, true);
      // Only where OpenTelemetry already propagates the incoming context; explicit forwarding is the surer fix.
      if (call.otelFix) offer(otelTitle, call.otelFix, !call.fix);
    }
    return actions;
  }
}
