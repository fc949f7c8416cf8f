import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // vitest's default is one worker less than the cores: one on CI's 2 cores, which ran the files one
    // at a time while most of them wait on the processes they start (the CLI, sshd, rclone, PostgreSQL,
    // Chromium) and used about one core. Two workers keep both cores busy.
    maxWorkers: 2,
  },
});
