// The bench's contention meter (bench/contention.ts): what other processes took of the machine
// while a contender ran. Its own CPU time and its children's are not "others"; an unrelated
// process's is. (Linux only: the meter reads /proc.)
import { spawn, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { addContention, clockTicks, contentionCores, cpuSnapshot } from "../bench/contention.js";

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe("addContention / contentionCores", () => {
  it("count the machine's busy ticks that are not ours, over the wall time", () => {
    const c = addContention(undefined, { busy: 100, ours: 10, at: 0 }, { busy: 400, ours: 110, at: 1000 });
    expect(c).toEqual({ ticks: 200, wallMs: 1000 });
    const more = addContention(c, { busy: 0, ours: 0, at: 0 }, { busy: 50, ours: 50, at: 500 }); // all ours: no others
    expect(more).toEqual({ ticks: 200, wallMs: 1500 });
    expect(contentionCores(more!)).toBeCloseTo(200 / clockTicks() / 1.5, 10);
    // a run may count a tick more for us than for the machine: kept signed, so the sum is unbiased, and clamped only as cores
    const under = addContention(undefined, { busy: 0, ours: 0, at: 0 }, { busy: 5, ours: 6, at: 100 });
    expect(under).toEqual({ ticks: -1, wallMs: 100 });
    expect(addContention(under, { busy: 0, ours: 0, at: 0 }, { busy: 3, ours: 0, at: 100 })).toEqual({ ticks: 2, wallMs: 200 });
    expect(contentionCores(under!)).toBe(0);
    expect(addContention(c, null, { busy: 1, ours: 0, at: 1 })).toBe(c);
  });
});

describe.runIf(cpuSnapshot() !== null)("cpuSnapshot on this machine", () => {
  it("counts this process's CPU time and its children's as ours", () => {
    const a = cpuSnapshot()!;
    spin(400);
    const b = cpuSnapshot()!;
    expect(b.ours - a.ours).toBeGreaterThanOrEqual(0.1 * clockTicks()); // ≥ 100 ms of the 400 spun
    spawnSync("sh", ["-c", "timeout 0.4 sh -c 'while :; do :; done'"]);
    const c = cpuSnapshot()!;
    expect(c.ours - b.ours).toBeGreaterThanOrEqual(0.1 * clockTicks());
  });

  it("counts an unrelated process's CPU time as others'", async () => {
    // an orphan (its parent shell exits at once), so it is no descendant of this process
    spawn("sh", ["-c", "(timeout 1.5 sh -c 'while :; do :; done' &)"], { stdio: "ignore" });
    await sleep(200);
    const a = cpuSnapshot();
    await sleep(1000);
    const c = addContention(undefined, a, cpuSnapshot());
    expect(contentionCores(c!)).toBeGreaterThanOrEqual(0.5); // ≈ 1 core, more with other tenants
  });
});
