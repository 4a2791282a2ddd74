// A plain float64 forward pass of a Hugging Face Llama/Qwen2 checkpoint (rotate_half RoPE, GQA,
// SwiGLU), independent of llama.cpp, to check that exported GGUFs compute the same logits.
import { readModelConfig } from '../../../server/services/model-format/hf-config';
import { openPeftAdapter } from '../../../server/services/model-format/peft-adapter';
import { Checkpoint } from '../../../server/services/model-format/safetensors';

type Matrix = { rows: number; cols: number; data: Float64Array };

function linear(x: Float64Array, w: Matrix, bias?: Float64Array): Float64Array {
  const out = new Float64Array(w.rows);
  for (let r = 0; r < w.rows; r++) {
    let s = bias ? bias[r]! : 0;
    const base = r * w.cols;
    for (let c = 0; c < w.cols; c++) s += w.data[base + c]! * x[c]!;
    out[r] = s;
  }
  return out;
}

function rmsNorm(x: Float64Array, w: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const scale = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * scale * w[i]!);
}

export async function referenceLogits(modelDir: string, tokens: number[], adapterDir?: string): Promise<number[][]> {
  const c = await readModelConfig(modelDir);
  const ckpt = await Checkpoint.open(modelDir);
  const adapter = adapterDir ? await openPeftAdapter(adapterDir, c) : undefined;
  try {
    const vec = async (name: string) => Float64Array.from(await ckpt.readF32(name));
    const mat = async (name: string): Promise<Matrix> => {
      const info = ckpt.require(name);
      const data = Float64Array.from(await ckpt.readF32(name));
      const [rows, cols] = info.shape as [number, number];
      const module = name.replace(/\.weight$/, '');
      const lora = adapter?.modules.find((m) => m.module === module);
      if (lora && adapter) {
        const a = await adapter.checkpoint.readF32(lora.aName);
        const b = await adapter.checkpoint.readF32(lora.bName);
        for (let r = 0; r < rows; r++)
          for (let k = 0; k < lora.rank; k++) {
            const coef = b[r * lora.rank + k]! * lora.scale;
            for (let col = 0; col < cols; col++) data[r * cols + col] = data[r * cols + col]! + coef * a[k * cols + col]!;
          }
      }
      return { rows, cols, data };
    };
    const T = tokens.length;
    const hd = c.headDim;
    const embed = await mat('model.embed_tokens.weight');
    let xs = tokens.map((t) => embed.data.slice(t * c.hiddenSize, (t + 1) * c.hiddenSize));
    const invFreq = Array.from({ length: hd / 2 }, (_, i) => 1 / c.ropeTheta ** ((2 * i) / hd));
    const rope = (v: Float64Array, heads: number, pos: number) => {
      const out = new Float64Array(v.length);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < hd / 2; i++) {
          const angle = pos * invFreq[i]!;
          const cos = Math.cos(angle);
          const sin = Math.sin(angle);
          const x1 = v[h * hd + i]!;
          const x2 = v[h * hd + i + hd / 2]!;
          out[h * hd + i] = x1 * cos - x2 * sin;
          out[h * hd + i + hd / 2] = x2 * cos + x1 * sin;
        }
      }
      return out;
    };
    const opt = async (name: string) => (ckpt.get(name) ? vec(name) : undefined);
    for (let l = 0; l < c.numLayers; l++) {
      const p = `model.layers.${l}.`;
      const [wq, wk, wv, wo] = await Promise.all(['q', 'k', 'v', 'o'].map((n) => mat(`${p}self_attn.${n}_proj.weight`)));
      const [bq, bk, bv] = await Promise.all(['q', 'k', 'v'].map((n) => opt(`${p}self_attn.${n}_proj.bias`)));
      const inNorm = await vec(`${p}input_layernorm.weight`);
      const postNorm = await vec(`${p}post_attention_layernorm.weight`);
      const [wg, wu, wd] = await Promise.all(['gate', 'up', 'down'].map((n) => mat(`${p}mlp.${n}_proj.weight`)));
      const hs = xs.map((x) => rmsNorm(x, inNorm, c.rmsNormEps));
      const qs = hs.map((h, t) => rope(linear(h, wq!, bq), c.numHeads, t));
      const ks = hs.map((h, t) => rope(linear(h, wk!, bk), c.numKvHeads, t));
      const vs = hs.map((h) => linear(h, wv!, bv));
      const group = c.numHeads / c.numKvHeads;
      xs = xs.map((x, t) => {
        const attn = new Float64Array(c.numHeads * hd);
        for (let h = 0; h < c.numHeads; h++) {
          const kvh = Math.floor(h / group);
          const scores = new Float64Array(t + 1);
          for (let s = 0; s <= t; s++) {
            let dot = 0;
            for (let i = 0; i < hd; i++) dot += qs[t]![h * hd + i]! * ks[s]![kvh * hd + i]!;
            scores[s] = dot / Math.sqrt(hd);
          }
          const max = Math.max(...scores);
          let sum = 0;
          for (let s = 0; s <= t; s++) sum += scores[s] = Math.exp(scores[s]! - max);
          for (let s = 0; s <= t; s++) for (let i = 0; i < hd; i++) attn[h * hd + i] = attn[h * hd + i]! + (scores[s]! / sum) * vs[s]![kvh * hd + i]!;
        }
        const o = linear(attn, wo!);
        const y = x.map((v, i) => v + o[i]!);
        const h2 = rmsNorm(y, postNorm, c.rmsNormEps);
        const g = linear(h2, wg!);
        const u = linear(h2, wu!);
        const act = g.map((v, i) => (v / (1 + Math.exp(-v))) * u[i]!);
        const d = linear(act, wd!);
        return y.map((v, i) => v + d[i]!);
      });
    }
    const norm = await vec('model.norm.weight');
    const head = ckpt.get('lm_head.weight') ? await mat('lm_head.weight') : embed;
    return xs.map((x) => Array.from(linear(rmsNorm(x, norm, c.rmsNormEps), head)));
  } finally {
    await adapter?.checkpoint.close();
    await ckpt.close();
  }
}
