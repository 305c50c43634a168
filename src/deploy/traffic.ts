import { UserError } from '../errors';

/** Percent of live (or mirrored) requests per deployment name. */
export type Traffic = Record<string, number>;

/**
 * `10,50,100` -> [10, 50, 100]: whole percentages, each step above the one before, between 1 and 100.
 * A last step below 100 leaves the rest of the traffic where it was (a canary that stays a canary).
 */
export function parseTrafficSteps(inputName: string, text: string | undefined): number[] {
  const raw = (text ?? '').trim();
  if (!raw) return [100];
  const steps: number[] = [];
  for (const part of raw.split(/[\s,;]+/).filter(Boolean)) {
    const value = Number(part.replace(/%$/, ''));
    if (!Number.isInteger(value) || value < 1 || value > 100) {
      throw new UserError(`Input '${inputName}': '${part}' is not a traffic percentage. Write whole numbers from 1 to 100, such as 10,50,100.`, { input: inputName });
    }
    if (steps.length > 0 && value <= steps[steps.length - 1]) {
      throw new UserError(`Input '${inputName}': each step must send more traffic than the one before, but ${value} follows ${steps[steps.length - 1]}. Write the steps in rising order, such as 10,50,100.`, { input: inputName });
    }
    steps.push(value);
  }
  return steps;
}

/**
 * The endpoint's traffic with `deployment` at `percent`: the other live deployments keep their proportions of
 * what is left (largest remainders, so the sum stays exactly 100). With nothing else live, it takes everything.
 */
export function trafficWith(before: Traffic, deployment: string, percent: number): Traffic {
  const others = Object.entries(before).filter(([name, p]) => name !== deployment && p > 0);
  const total = others.reduce((sum, [, p]) => sum + p, 0);
  if (total === 0) return { [deployment]: 100 };
  const rest = 100 - percent;
  const shares = others.map(([name, p], index) => {
    const exact = (p * rest) / total;
    return { name, index, floor: Math.floor(exact), fraction: exact - Math.floor(exact) };
  });
  let left = rest - shares.reduce((sum, s) => sum + s.floor, 0);
  for (const s of [...shares].sort((a, b) => b.fraction - a.fraction || a.index - b.index)) {
    if (left <= 0) break;
    s.floor += 1;
    left -= 1;
  }
  const result: Traffic = {};
  for (const s of shares) result[s.name] = s.floor;
  result[deployment] = percent;
  return result;
}

/** Entries above 0 only, as Azure ML stores traffic (the CLI leaves 0% deployments out). */
export function liveOnly(traffic: Traffic | undefined): Traffic {
  return Object.fromEntries(Object.entries(traffic ?? {}).filter(([, p]) => p > 0));
}

export function sameTraffic(a: Traffic | undefined, b: Traffic | undefined): boolean {
  const x = liveOnly(a);
  const y = liveOnly(b);
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) if (x[k] !== y[k]) return false;
  return true;
}

/** `blue=90, green=10` for logs; `none` when nothing is live. */
export function formatTraffic(traffic: Traffic | undefined): string {
  const entries = Object.entries(liveOnly(traffic));
  return entries.length === 0 ? 'none' : entries.map(([name, p]) => `${name}=${p}%`).join(', ');
}
