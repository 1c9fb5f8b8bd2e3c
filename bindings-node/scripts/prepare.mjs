// Builds the native module from source and copies the shared JavaScript layer
// and TypeScript declaration in. Runs on `npm install` in a checkout.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const shared = join(pkg, "..", "bindings-js");
if (existsSync(shared)) {
  mkdirSync(join(pkg, "lib"), { recursive: true });
  for (const f of ["api.js", "udp.js"]) copyFileSync(join(shared, "lib", f), join(pkg, "lib", f));
  copyFileSync(join(shared, "anysctp.d.ts"), join(pkg, "index.d.ts"));
}
const napi = join(pkg, "node_modules", ".bin", process.platform === "win32" ? "napi.cmd" : "napi");
const args = ["build", "--platform", "--release", "--no-js", "--dts", "native.d.ts", "--manifest-path", join(pkg, "Cargo.toml"), "--output-dir", pkg];
execFileSync(napi, args, { cwd: pkg, stdio: "inherit", env: { ...process.env, CARGO_PROFILE_RELEASE_DEBUG: "0" } });
