import type { ExportProgress, ExportResult, GgufExportType } from '../export-gguf';
import type { ModelErrorCode } from '../errors';

export type ConversionArgs =
  | { kind: 'model'; modelDir: string; outFile: string; type: GgufExportType; name?: string; threads?: number }
  | { kind: 'adapter'; baseModelDir: string; adapterDir: string; outFile: string; name?: string }
  | { kind: 'merge'; modelDir: string; adapterDir: string; outFile: string; type: GgufExportType; name?: string; threads?: number };

export type LlamaProbeArgs =
  | { kind: 'llama-check'; modelGguf: string; adapterGguf?: string }
  | { kind: 'llama-logits'; modelGguf: string; adapterGguf?: string; tokens: number[] }
  | { kind: 'llama-tokenize'; modelGguf: string; text: string; specialTokens?: boolean };

export type ChildRequest = ConversionArgs | LlamaProbeArgs;

export interface LlamaCheckInfo {
  architecture?: string;
  vocabularySize: number;
  trainContextSize: number;
  parameterCount?: number;
  bosToken?: number;
  eosToken?: number;
  adapterLoaded: boolean;
}

export type ChildMessage =
  | { type: 'progress'; progress: ExportProgress }
  | { type: 'result'; result: ExportResult | LlamaCheckInfo | { logits: number[][] } | { tokens: number[] }; maxRssBytes: number; workMs?: number; cpuMs?: number }
  | { type: 'error'; error: { code: ModelErrorCode; message: string; details?: Record<string, unknown> } };
