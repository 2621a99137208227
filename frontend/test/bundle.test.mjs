// The committed bundle is a fresh build of the sources (skipped without node_modules).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ESBUILD = join(HERE, "..", "node_modules", "esbuild");

it(
  "the committed bundle equals a fresh build",
  { skip: !existsSync(ESBUILD) && "no node_modules: run scripts/build_frontend" },
  async () => {
    const { BUNDLE, bundle } = await import("../build.mjs");
    assert.ok(
      readFileSync(BUNDLE, "utf8") === (await bundle()),
      "the bundle is out of date: run scripts/build_frontend",
    );
  },
);
