/**
 * How much of the machine other processes took while a contender ran, so a table says whether its
 * figures were measured on a quiet machine (these machines are shared: another tenant comes and
 * goes, and a 2-thread step's median follows it).
 *
 * Busy time on all cores (/proc/stat: user, nice, system, irq, softirq and steal) minus the CPU time
 * of this process and its descendants (/proc/<pid>/stat; threads and a PyTorch child included), over
 * the wall time: in cores. 0: the contender had the machine to itself; 1 on 2 cores: someone else
 * held one core all along. The kernel counts in clock ticks (10 ms), so one run of 40 ms says little;
 * the sum over a contender's timed runs is what the tables print, and for runs of a few ms (predict's)
 * even that carries ±0.1–0.2 of rounding. Linux only: null elsewhere.
 *
 * It sees only what this operating system schedules. A neighbour below it — presumably another
 * virtual machine on the same physical cores, on the machines this project is measured on — slows
 * every contender without showing here: 0.01 cores in a run (2026-12-05 06:17 UTC) whose one-thread fit
 * step was 76 ms against 66–67 in quiet runs. So 0 rules out a process here (a build, a browser),
 * not a noisy host.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** CPU ticks at one moment: the whole machine's busy time and ours. */
export interface CpuSnapshot {
  busy: number;
  ours: number;
  at: number;
}

/** Others' busy ticks and the wall time they were counted over, summed over runs. */
export interface Contention {
  ticks: number;
  wallMs: number;
}

let ticksPerSecond: number | null = null;

/** The kernel's clock ticks per second (USER_HZ), in which /proc counts CPU time. */
export function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** /proc/stat's first line: busy ticks of all cores together (idle and iowait left out). */
function machineBusy(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return user + nice + system + irq + softirq + (steal || 0);
}

/** utime + stime + cutime + cstime of this process and every descendant, from /proc/<pid>/stat. */
function ourTicks(): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // it exited while we looked
    }
    // after "pid (comm) ": state ppid … utime(11) stime(12) cutime(13) cstime(14); comm may hold spaces
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parent.set(Number(name), Number(f[1]));
    ticks.set(Number(name), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 0; p = parent.get(p)) { // up to the root (ppid 0): the bench may itself be PID 1 in a container
      if (p === process.pid) {
        sum += t;
        break;
      }
    }
  }
  return sum;
}

/** Now, or null where /proc cannot be read (not Linux). */
export function cpuSnapshot(): CpuSnapshot | null {
  try {
    return { busy: machineBusy(), ours: ourTicks(), at: performance.now() };
  } catch {
    return null;
  }
}

/**
 * `into` plus what others took between `from` and `to` (nothing when either is null). Signed: the
 * counters tick at slightly different moments, so a short run may count a tick more for us than
 * for the machine; clamping each run at 0 would bias the sum upwards, so only the total is clamped.
 */
export function addContention(into: Contention | undefined, from: CpuSnapshot | null, to: CpuSnapshot | null): Contention | undefined {
  if (from === null || to === null) return into;
  const others = to.busy - from.busy - (to.ours - from.ours);
  return { ticks: (into?.ticks ?? 0) + others, wallMs: (into?.wallMs ?? 0) + (to.at - from.at) };
}

/** Others' load in cores: busy ticks per second of wall time (at least 0). */
export function contentionCores(c: Contention): number {
  return c.wallMs > 0 ? Math.max(0, c.ticks) / clockTicks() / (c.wallMs / 1000) : NaN;
}
