import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Numerical tests run real experiments; correctness, not speed, is what they check.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
