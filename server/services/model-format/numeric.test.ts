import { describe, expect, it } from 'vitest';
import { dequantizeQ8_0, f32ToBf16, floatToHalf, halfToFloat, quantizeQ8_0, Q8_0_BYTES, bf16ToF32 } from './numeric';

describe('half floats', () => {
  it('converts exactly representable values both ways', () => {
    for (const v of [0, 1, -1, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1.5, 0.0999755859375]) {
      expect(halfToFloat(floatToHalf(v))).toBe(v);
    }
  });

  it('rounds to nearest even, overflows to infinity and keeps NaN', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: even wins
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(floatToHalf(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal goes to 0
    expect(floatToHalf(3 * 2 ** -25)).toBe(2); // tie between subnormals 1 and 2 goes to 2
    expect(floatToHalf(-0)).toBe(0x8000);
  });

  it('matches a float64 round-trip error bound on random values', () => {
    for (let i = 0; i < 10000; i++) {
      const v = (Math.random() - 0.5) * 100;
      expect(Math.abs(halfToFloat(floatToHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 1e-7);
    }
  });
});

describe('bfloat16', () => {
  it('rounds to nearest even and widens back exactly', () => {
    const src = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 3.140625]);
    const bits = new Uint16Array(src.length);
    f32ToBf16(src, bits);
    const back = new Float32Array(src.length);
    bf16ToF32(bits, back);
    expect(Array.from(back)).toEqual([1, 1, 1 + 4 * 2 ** -8, -2.5, 3.140625]);
  });
});

describe('Q8_0', () => {
  it('stores a half-float scale and int8 values per block of 32, like ggml', () => {
    const src = new Float32Array(64);
    for (let i = 0; i < 32; i++) src[i] = (i - 16) / 16;
    src[40] = 127;
    const out = new Uint8Array(2 * Q8_0_BYTES);
    quantizeQ8_0(src, out);
    const view = new DataView(out.buffer);
    expect(halfToFloat(view.getUint16(0, true))).toBeCloseTo(1 / 127, 5);
    expect(view.getInt8(2)).toBe(-127);
    expect(view.getInt8(2 + 24)).toBe(64); // 0.5 * 127 = 63.5 rounds away from zero
    expect(view.getInt8(2 + 8)).toBe(-64);
    expect(halfToFloat(view.getUint16(Q8_0_BYTES, true))).toBe(1);
    const back = new Float32Array(64);
    dequantizeQ8_0(out, back);
    for (let i = 0; i < 64; i++) expect(Math.abs(back[i]! - src[i]!)).toBeLessThan(0.01 * Math.max(1, Math.abs(src[i]!)));
  });

  it('refuses a length that is not a whole number of blocks', () => {
    expect(() => quantizeQ8_0(new Float32Array(33), new Uint8Array(100))).toThrow(/multiple of 32/);
  });
});

describe('bulk half conversion', () => {
  it('agrees with the scalar converter on every exponent, both signs and rounding ties', async () => {
    const { f32ToF16, floatBitsToHalf } = await import('./numeric');
    const bits = new Uint32Array(200_000);
    for (let i = 0; i < bits.length; i++) {
      const exponent = i % 256;
      const mantissa = i % 7 === 0 ? 0x1000 | ((i * 0x2000) & 0x7fe000) : (i * 2654435761) & 0x7fffff;
      bits[i] = ((i & 1) << 31) | (exponent << 23) | mantissa;
    }
    const out = new Uint16Array(bits.length);
    f32ToF16(new Float32Array(bits.buffer), out);
    for (let i = 0; i < bits.length; i++) if (out[i] !== floatBitsToHalf(bits[i]!)) expect.fail(`bits ${bits[i]!.toString(16)}: ${out[i]} vs ${floatBitsToHalf(bits[i]!)}`);
  });
});

describe('BF16 to half', () => {
  it('maps every one of the 65,536 BF16 values as the scalar converter does, in place too', async () => {
    const { bf16ToF16, convertFloatBytes, floatBitsToHalf } = await import('./numeric');
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const out = new Uint16Array(65536);
    bf16ToF16(all, out);
    for (let b = 0; b < 65536; b++) if (out[b] !== floatBitsToHalf((b << 16) >>> 0)) expect.fail(`bf16 ${b.toString(16)}: ${out[b]} vs ${floatBitsToHalf((b << 16) >>> 0)}`);
    const owned = new Uint8Array(all.buffer.slice(0));
    const converted = convertFloatBytes('BF16', owned, 'F16', { inPlace: true });
    expect(converted.buffer).toBe(owned.buffer);
    expect(Array.from(new Uint16Array(converted.buffer))).toEqual(Array.from(out));
  });
});

describe('convertFloatBytes', () => {
  it('gives the same bytes as decoding to float32 and encoding, for every source and target', async () => {
    const { convertFloatBytes, f32ToF16, f32ToBf16, quantizeQ8_0, bf16ToF32, f16ToF32 } = await import('./numeric');
    const values = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i) * (i % 5 === 0 ? 1e-6 : 3));
    const f16 = new Uint16Array(256);
    f32ToF16(values, f16);
    const bf16 = new Uint16Array(256);
    f32ToBf16(values, bf16);
    const sources = {
      F32: new Uint8Array(values.buffer.slice(0)),
      F16: new Uint8Array(f16.buffer.slice(0)),
      BF16: new Uint8Array(bf16.buffer.slice(0)),
    } as const;
    for (const [dtype, bytes] of Object.entries(sources) as Array<[keyof typeof sources, Uint8Array]>) {
      const decoded = new Float32Array(256);
      if (dtype === 'F32') decoded.set(values);
      else if (dtype === 'F16') f16ToF32(new Uint16Array(bytes.buffer), decoded);
      else bf16ToF32(new Uint16Array(bytes.buffer), decoded);
      const halves = new Uint16Array(256);
      f32ToF16(decoded, halves);
      const q8 = new Uint8Array(8 * Q8_0_BYTES);
      quantizeQ8_0(decoded, q8);
      expect(Array.from(convertFloatBytes(dtype, new Uint8Array(bytes), 'F32'))).toEqual(Array.from(new Uint8Array(decoded.buffer)));
      expect(Array.from(convertFloatBytes(dtype, new Uint8Array(bytes), 'F16'))).toEqual(Array.from(new Uint8Array(halves.buffer)));
      expect(Array.from(convertFloatBytes(dtype, new Uint8Array(bytes), 'Q8_0'))).toEqual(Array.from(q8));
    }
  });
});
