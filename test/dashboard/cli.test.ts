import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, makeStudio } from "../helpers/cli.js";

/** Starts `sitesync dashboard --json` and resolves with its first stdout line and a way to stop it. */
function startDashboardCommand(home: string, ...more: string[]) {
  const child = spawn(process.execPath, [CLI, "dashboard", "--json", "--home", home, ...more], {
    env: { ...process.env, AYON_SITE_ID: "", SITESYNC_HOME: "", SITESYNC_STORE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const started = new Promise<{ url: string; origin: string; port: number; record: string }>(
    (resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const cut = out.indexOf("\n");
        if (cut >= 0) resolve(JSON.parse(out.slice(0, cut)));
      });
      child.on("exit", (code) => reject(new Error(`dashboard exited ${code} before printing its URL`)));
    },
  );
  return { child, started, exited };
}

describe("sitesync dashboard", () => {
  it("serves the page alone on 127.0.0.1, prints the URL with the token, and stops cleanly on SIGTERM", async () => {
    const studio = await makeStudio();
    const running = startDashboardCommand(studio.home, "--project", "Proj");
    const { url, origin, record } = await running.started;
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).toMatch(new RegExp(`^${origin}/\\?token=[0-9a-f]{64}$`));
    expect(record).toBe(path.join(studio.home, "dashboard.json"));
    expect((await fetch(`${origin}/`)).status).toBe(401);
    const signedIn = await fetch(url, { redirect: "manual" });
    expect(signedIn.status).toBe(303);
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await fetch(`${origin}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Representations of Proj");
    const script = await fetch(`${origin}/assets/htmx.min.js`, { headers: { cookie } });
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.text()).length).toBeGreaterThan(10_000);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    expect(existsSync(record)).toBe(false);
  });

  it("refuses a bad port or an unknown project with exit 2", async () => {
    const studio = await makeStudio();
    const port = await studio.run("dashboard", "--port", "70000");
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: "70000" is not a port');
    const project = await studio.run("dashboard", "--project", "Nope");
    expect(project.code).toBe(2);
    expect(project.stderr).toContain('unknown project "Nope"');
  });

  it("takes its port from settings (site scope dashboard.port) and refuses one that is not a port", async () => {
    const studio = await makeStudio();
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { createServer } = await import("node:net");
    const settingsFile = path.join(studio.home, "settings.yaml");
    const original = readFileSync(settingsFile, "utf8");
    const withPort = (port: number) => original.replace(/^site:\n/m, `site:\n  dashboard: {port: ${port}}\n`);
    writeFileSync(settingsFile, withPort(-1));
    const refused = await studio.run("dashboard");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("dashboard.port");
    // A port free a moment ago (the kernel does not hand it out again at once).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const free = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    writeFileSync(settingsFile, withPort(free));
    const running = startDashboardCommand(studio.home);
    const { origin } = await running.started;
    expect(origin).toBe(`http://127.0.0.1:${free}`);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    // --port wins over the settings.
    const probe2 = createServer();
    await new Promise<void>((resolve) => probe2.listen(0, "127.0.0.1", resolve));
    const other = (probe2.address() as { port: number }).port;
    await new Promise((resolve) => probe2.close(resolve));
    const overridden = startDashboardCommand(studio.home, "--port", String(other));
    expect((await overridden.started).origin).toBe(`http://127.0.0.1:${other}`);
    overridden.child.kill("SIGTERM");
    expect(await overridden.exited).toBe(0);
  });
});
