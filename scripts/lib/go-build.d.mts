// Types of go-build.mjs, for the sandbox and the real cluster that import it.
export function goCacheRoot(): string;
export function goVersion(): string;
export function goBinary(source: string, say?: (message: string) => void): Promise<string>;
