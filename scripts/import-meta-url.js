// esbuild inject: gives ESM code bundled into CommonJS a working import.meta.url.
export const importMetaUrl = require('url').pathToFileURL(__filename).href;
