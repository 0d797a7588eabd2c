/**
 * Sizes checked against what the machine can hold, before anything is allocated: a request whose
 * arrays alone (a lower bound of what it needs) exceed the machine's memory is refused with one line,
 * instead of failing minutes later with a heap or typed-array error.
 */
import { totalmem } from "node:os";
import { UserError } from "./errors.js";

function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/**
 * Refuse (exit 2) when `count` items of at least `bytesEach` bytes each do not fit in this machine's
 * memory (os.totalmem()). `what` names the flags ("--batch 64"), `items` what is counted ("samples"),
 * `each` what one item holds at least.
 */
export function checkFitsInMemory(what: string, count: number, items: string, bytesEach: number, each: string, machineBytes = totalmem()): void {
  const need = count * bytesEach;
  if (need <= machineBytes) return;
  throw new UserError(`${what}: ${count} ${items} of at least ${bytes(bytesEach)} each (${each}) need ${bytes(need)}, more than this machine's ${bytes(machineBytes)} of memory`, 2);
}
