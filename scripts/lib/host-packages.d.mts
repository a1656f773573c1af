// Types of host-packages.mjs, for the unit test that imports it.
export interface Need {
  pkg: string;
  paths: string[];
  why: string;
}
export function missingPackages(o: { real: boolean; codeServerInstalled: boolean; exists: (path: string) => boolean }): Need[];
export function installDecision(o: { missing: Need[]; root: boolean; terminal: boolean; yes: boolean; apt: boolean }): { action: 'none' } | { action: 'install' | 'ask' | 'tell'; command: string };
export function missingText(missing: Need[], command: string, apt: boolean): string;
export function missingLines(missing: Need[]): string;
