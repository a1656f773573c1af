// `npm run e2e:install`: installs the real VS Code the e2e suite and the demo use (code-server
// and Node 24, versions in tools.json) into .devlane/e2e-tools/. Does nothing when they are there.
import { installTools, missingTools, TOOLS_DIR } from './index';

const missing = missingTools();
if (missing.length === 0) {
  console.log(`e2e tools already installed in ${TOOLS_DIR}`);
} else {
  installTools().catch((err: Error) => {
    console.error(`e2e tools: ${err.message}`);
    process.exit(1);
  });
}
