// Build custom_components/sunshare/frontend/sunshare-game-card.js from src/ (esbuild,
// Lit bundled: no CDN at run time). The first line of the bundle holds the sha256 of
// the sources, so a test can tell a stale bundle without node (tests/packaging).
//
//   node build.mjs           write the bundle
//   node build.mjs --check   exit 1 if the committed bundle differs from a fresh build
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
export const BUNDLE = join(
  HERE,
  "..",
  "custom_components",
  "sunshare",
  "frontend",
  "sunshare-game-card.js",
);

function sources(dir = join(HERE, "src")) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".js")
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Return the sha256 of the sources: each file's path (from frontend/) and content. */
export function sourcesHash() {
  const files = [
    ...sources().map((file) => relative(HERE, file).split("\\").join("/")),
    "build.mjs",
    "package.json",
    "package-lock.json",
  ].sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file);
    hash.update("\0");
    hash.update(readFileSync(join(HERE, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

export async function bundle() {
  const result = await build({
    entryPoints: [join(HERE, "src", "index.js")],
    bundle: true,
    format: "esm",
    target: "es2021",
    minify: true,
    legalComments: "eof",
    write: false,
    logLevel: "warning",
  });
  const banner =
    `// sunshare-game-card ${sourcesHash()} (sources sha256)\n` +
    "// Built from frontend/src by scripts/build_frontend: do not edit.\n";
  return banner + result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fresh = await bundle();
  if (process.argv.includes("--check")) {
    const committed = readFileSync(BUNDLE, "utf8");
    if (committed !== fresh) {
      console.error(`${BUNDLE} is not up to date: run scripts/build_frontend`);
      process.exit(1);
    }
    console.log("The game card bundle is up to date.");
  } else {
    writeFileSync(BUNDLE, fresh);
    console.log(`Wrote ${relative(process.cwd(), BUNDLE)} (${fresh.length} bytes)`);
  }
}
