// Loads the native module: a local build (`npm install` in a checkout runs
// `napi build --platform`) or the prebuilt per-platform package
// `@anysctp/node-<platform>` (see README, "Publishing").
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";

const require = createRequire(import.meta.url);

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    return readFileSync("/usr/bin/ldd", "utf8").includes("musl");
  } catch {
    return !process.report?.getReport?.().header?.glibcVersionRuntime;
  }
}

function platformTag() {
  const { platform, arch } = process;
  if (platform === "linux") return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const tag = platformTag();
const local = new URL(`./anysctp.${tag}.node`, import.meta.url);
let binding;
if (existsSync(local)) binding = require(local.pathname);
else {
  try {
    binding = require(`@anysctp/node-${tag}`);
  } catch (e) {
    throw new Error(`anysctp: no native module for ${tag}: run \`npm install\` in the package (needs cargo) or install @anysctp/node-${tag} (${e.message})`);
  }
}
export const RawEndpoint = binding.RawEndpoint;
export const parsePacket = binding.parsePacket;
